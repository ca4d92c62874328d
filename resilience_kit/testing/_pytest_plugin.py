"""pytest plugin (``pytest11`` entry point): fixtures ``fake_llm`` and ``rk_no_wait``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resilience_kit.testing._no_wait import NoWait, no_wait
from resilience_kit.testing._server import FakeLLMServer


@pytest.fixture
def rk_no_wait() -> Iterator[NoWait]:
    """The kit's sleeps are instant and recorded for the duration of the test."""
    with no_wait() as waits:
        yield waits


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A started [`FakeLLMServer`][resilience_kit.testing.FakeLLMServer], stopped after the test."""
    with FakeLLMServer() as server:
        yield server
