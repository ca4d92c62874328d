"""pytest plugin (``pytest11`` entry point): fixtures named ``rk_*``, and isolation of the kit's
process-wide state between tests.

- ``rk_no_wait``: the kit's sleeps are instant and recorded (``resilience_kit.testing.no_wait``).
- ``rk_fake_llm``: a started [`FakeLLMServer`][resilience_kit.testing.FakeLLMServer], stopped after
the test.
- ``fake_llm``: deprecated alias of ``rk_fake_llm`` (warns).
- Around every test (its fixtures' setup and teardown included), the kit's process-wide state is
  put back as it was: breakers a test created with ``circuit_breaker(name)`` are forgotten (a new
  config for the name is fine in the next test), registry breakers it moved are reset, and metrics
  are cleared. What a session-, package-, module- or class-scoped fixture sets up counts as the
  state to put back, so a registry breaker made there is reset after each test, not forgotten.

pytest loads this module in every session of every project that has the package installed, so it
changes nothing for projects that never use the kit: no autouse fixture, no option, no output, no
logging or structlog configuration, and no import of the kit's tools (the fixtures import what
they need when first used; the hook wrappers use only ``resilience_kit._state``, standard library
code, and have nothing to restore until the kit's tools are loaded). It
uses old-style hook wrappers (``hookwrapper=True``), which pytest 7.3 / pluggy 1.0 (the oldest
checked) understand as well as the newest.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

from resilience_kit._state import Isolation, isolated

if TYPE_CHECKING:
    from resilience_kit.testing._no_wait import NoWait
    from resilience_kit.testing._server import FakeLLMServer

_running: list[Isolation] = []  # the isolation of the test being run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, None]:
    """Each test (its fixtures' setup and teardown included) starts from and leaves behind the
    kit's process-wide state as it was (nothing to restore while the kit's tools are not loaded;
    a tool first loaded during the test is checkpointed as it loads)."""
    with isolated() as isolation:
        _running.append(isolation)
        try:
            yield
        finally:
            _running.pop()


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Generator[None, object, None]:
    """After a longer-lived fixture is set up, what it made is the state later tests start from."""
    yield
    if fixturedef.scope != "function" and _running:
        _running[-1].keep()


@pytest.fixture
def rk_no_wait() -> Iterator[NoWait]:
    """The kit's sleeps are instant and recorded for the duration of the test."""
    from resilience_kit.testing._no_wait import no_wait  # loaded on first use

    with no_wait() as waits:
        yield waits


@pytest.fixture
def rk_fake_llm() -> Iterator[FakeLLMServer]:
    """A started [`FakeLLMServer`][resilience_kit.testing.FakeLLMServer], stopped after the test."""
    from resilience_kit.testing._server import FakeLLMServer  # loaded on first use

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
