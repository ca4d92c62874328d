"""pytest plugin (``pytest11`` entry point): fixtures named ``rk_*``, and isolation of the kit's
process-wide state between tests.

- ``rk_no_wait``: the kit's sleeps are instant and recorded (``resilience_kit.testing.no_wait``).
- ``rk_fake_llm``: a started [`FakeLLMServer`][resilience_kit.testing.FakeLLMServer], stopped after
the test.
- ``fake_llm``: deprecated alias of ``rk_fake_llm`` (warns).
- Around every test, the kit's process-wide state is put back as it was: breakers a test created
  with ``circuit_breaker(name)`` are forgotten (a new config for the name is fine in the next test),
  registry breakers it moved are reset, and metrics are cleared.

pytest loads this module in every session of every project that has the package installed, so it
changes nothing for projects that never use the kit: no autouse fixture, no option, no output, no
logging or structlog configuration; the isolation hook only restores the kit's own state.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator, Iterator

import pytest

from resilience_kit._state import isolated
from resilience_kit.testing._no_wait import NoWait, no_wait
from resilience_kit.testing._server import FakeLLMServer


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """Each test (its fixtures' setup and teardown included) starts from and leaves behind the
    kit's process-wide state as it was."""
    with isolated():
        return (yield)


@pytest.fixture
def rk_no_wait() -> Iterator[NoWait]:
    """The kit's sleeps are instant and recorded for the duration of the test."""
    with no_wait() as waits:
        yield waits


@pytest.fixture
def rk_fake_llm() -> Iterator[FakeLLMServer]:
    """A started [`FakeLLMServer`][resilience_kit.testing.FakeLLMServer], stopped after the test."""
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def fake_llm(rk_fake_llm: FakeLLMServer) -> FakeLLMServer:
    """Deprecated alias of ``rk_fake_llm`` (every fixture of the kit is named ``rk_*``)."""
    warnings.warn(
        "the fake_llm fixture is deprecated; use rk_fake_llm",
        DeprecationWarning,
        stacklevel=2,
    )
    return rk_fake_llm
