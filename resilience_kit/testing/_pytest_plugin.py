"""pytest plugin (``pytest11`` entry point): fixtures ``fake_llm`` and ``rk_no_wait``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resilience_kit.testing._no_wait import NoWait, no_wait


@pytest.fixture
def rk_no_wait() -> Iterator[NoWait]:
    """The kit's sleeps are instant and recorded for the duration of the test."""
    with no_wait() as waits:
        yield waits
