"""A clock that jumps never makes a computed wait or open time exceed its configured maximum."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

import resilience_kit as rk
from resilience_kit import CircuitOpenError

RECOVERY = 30.0
MAX_RECOVERY = 120.0


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _trip(breaker: rk.CircuitBreaker) -> None:
    for _ in range(2):
        with pytest.raises(ConnectionError), breaker:
            raise ConnectionError("down")


@pytest.mark.parametrize("back", [1.7e9 - 100.0, 1_000.0, 31.0])
def test_breaker_open_time_survives_a_backward_jump(back: float) -> None:
    """Opened at t=1.7e9, the clock jumps back: retry_after stays <= the open time."""
    clock = Clock(1.7e9)
    breaker = rk.CircuitBreaker(
        "jump",
        failure_threshold=2,
        recovery_timeout=RECOVERY,
        max_recovery_timeout=MAX_RECOVERY,
        recovery_jitter=0.0,
        clock=clock,
    )
    _trip(breaker)
    clock.now -= back
    with pytest.raises(CircuitOpenError) as info, breaker:
        pass
    assert info.value.retry_after <= RECOVERY
    assert breaker.snapshot().retry_after <= RECOVERY
    clock.now += RECOVERY
    with breaker:  # the open time is over on the new clock: a probe goes through
        pass


def test_breaker_opened_under_freezegun_does_not_stay_open_for_decades() -> None:
    """Tripped inside freeze_time, read after it: the wait is bounded by recovery_timeout."""
    breaker = rk.CircuitBreaker(
        "frozen", failure_threshold=2, recovery_timeout=RECOVERY, recovery_jitter=0.0
    )
    with freeze_time("2026-01-01"):
        _trip(breaker)
    with pytest.raises(CircuitOpenError) as info, breaker:
        pass
    assert info.value.retry_after <= RECOVERY


def test_gate_block_survives_a_backward_jump() -> None:
    """A 20 s gate block read after the clock jumped back is still at most 20 s."""
    clock = Clock(1.7e9)
    storage = rk.storage.MemoryStorage(clock=clock)
    storage.gate_extend("g", 20.0)
    clock.now = 100.0
    assert 20.0 == storage.gate_remaining("g")
    clock.now += 20.0
    assert 0.0 == storage.gate_remaining("g")
