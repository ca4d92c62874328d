"""Structured log events with stable names. Call arguments are never logged; text is redacted."""

from __future__ import annotations

from typing import Any

import structlog

from resilience_kit._redact import redact

_logger = structlog.get_logger("resilience_kit")


def emit(event: str, *, level: str = "info", **fields: Any) -> None:
    """Log *event* with *fields*; string values are redacted. Logging failures never propagate."""
    clean = {
        key: redact(value) if isinstance(value, str) else value for key, value in fields.items()
    }
    try:
        getattr(_logger, level)(event, **clean)
    except Exception:  # pragma: no cover - a broken log pipeline must not break the user's call
        return
