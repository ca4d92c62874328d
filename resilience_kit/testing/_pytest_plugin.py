"""pytest plugin (``pytest11`` entry point): fixtures ``fake_llm`` and ``rk_no_wait``, and
isolation of the kit's process-wide state between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resilience_kit._state import isolated
from resilience_kit.testing._no_wait import NoWait, no_wait
from resilience_kit.testing._server import FakeLLMServer


@pytest.fixture(autouse=True)
def _resilience_kit_isolation() -> Iterator[None]:
    """After each test: breakers it created with ``circuit_breaker(name)`` are forgotten (a
    new config for the name is fine in the next test), those that existed before and moved are
    reset, and metrics are cleared. Nothing happens in projects that do not use the kit."""
    with isolated():
        yield


@pytest.fixture
def rk_no_wait() -> Iterator[NoWait]:
    """The kit's sleeps are instant and recorded for the duration of the test."""
    with no_wait() as waits:
        yield waits


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A started :class:`~resilience_kit.testing.FakeLLMServer`, stopped after the test."""
    with FakeLLMServer() as server:
        yield server
