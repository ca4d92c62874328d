"""Suite-wide hygiene: no test leaves structlog configured for the tests after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _structlog_as_found() -> Iterator[None]:
    """``structlog.testing.capture_logs`` restores the processors but leaves structlog marked as
    configured, so every later test would send the kit's events, debug included, to structlog's
    default printer (as if the application had configured it): undo that after each test."""
    configured = structlog.is_configured()
    yield
    if not configured and structlog.is_configured():
        structlog.reset_defaults()
