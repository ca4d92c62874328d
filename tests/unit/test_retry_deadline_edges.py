"""The retry deadline bounds the whole call: hooks included, whatever they cost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit import ErrorCategory, _clock
from resilience_kit.testing import no_wait
from tests.unit.retry_support import ScriptedError, classify_scripted

DEADLINE = 0.6
HOOK_COST = 0.2
WAIT: dict[str, Any] = {
    "initial_wait": 0.15,
    "max_wait": 0.15,
    "jitter": 0.0,
    "max_attempts": 10,
    "deadline": DEADLINE,
}


@pytest.fixture(autouse=True)
def _scripted() -> Iterator[None]:
    unregister = rk.register_exception_map(classify_scripted, name="scripted-deadline")
    yield
    unregister()


def test_slow_sync_hook_never_pushes_an_attempt_past_the_deadline() -> None:
    """A slow on_retry hook uses up the time left: no attempt starts after the deadline."""
    starts: list[float] = []

    def slow_hook(record: rk.AttemptRecord) -> None:
        _clock.sleep(HOOK_COST)  # virtual time under no_wait

    @rk.retry(on_retry=slow_hook, **WAIT)
    def call() -> None:
        starts.append(_clock.monotonic() - begin)
        raise ScriptedError(ErrorCategory.SERVER)

    with no_wait():
        begin = _clock.monotonic()
        with pytest.raises(ScriptedError) as info:
            call()
    assert max(starts) <= DEADLINE
    assert "deadline" == call.statistics["give_up_reason"]
    assert any("retry hooks" in note for note in getattr(info.value, "__notes__", []))


async def test_slow_async_hook_never_pushes_an_attempt_past_the_deadline() -> None:
    """An async on_retry hook is awaited before the wait; its time counts against the deadline."""
    starts: list[float] = []

    async def slow_hook(record: rk.AttemptRecord) -> None:
        await _clock.async_sleep(HOOK_COST)

    @rk.retry(on_retry=slow_hook, **WAIT)
    async def call() -> None:
        starts.append(_clock.monotonic() - begin)
        raise ScriptedError(ErrorCategory.SERVER)

    with no_wait():
        begin = _clock.monotonic()
        with pytest.raises(ScriptedError) as info:
            await call()
    assert max(starts) <= DEADLINE
    assert any("retry hooks" in note for note in getattr(info.value, "__notes__", []))
