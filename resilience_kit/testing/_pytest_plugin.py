"""pytest plugin (``pytest11`` entry point): fixtures named ``rk_*``.

- ``rk_no_wait``: the kit's sleeps are instant and recorded (``resilience_kit.testing.no_wait``).
- ``rk_fake_llm``: a started :class:`~resilience_kit.testing.FakeLLMServer`, stopped after the test.
- ``fake_llm``: deprecated alias of ``rk_fake_llm`` (warns).

pytest loads this module in every session of every project that has the package installed, so it
changes nothing for projects that never use the fixtures: no autouse fixture, no hook, no option,
no output, no logging or structlog configuration.
"""

from __future__ import annotations

import warnings
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
def rk_fake_llm() -> Iterator[FakeLLMServer]:
    """A started :class:`~resilience_kit.testing.FakeLLMServer`, stopped after the test."""
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
