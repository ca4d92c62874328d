"""A clock that jumps never makes a computed wait or open time exceed its configured maximum."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

import resilience_kit as rk
from resilience_kit import CircuitOpenError, _clock
from resilience_kit.testing import no_wait
from tests.unit.throughput_helpers import FakeAPIError, fake_errors, rate_limited

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


# The 0.5 s block (re-anchored after the jump, at most what was set) plus one pace step at the
# starting pace of 0.8 * 1/0.5 = 1.6 calls per second.
BLOCK_AND_STEP = 0.5 + 1.0 / 1.6 + 0.01


def _pace_after_a_429(gate: rk.RateLimitGate, calls: int = 3) -> None:
    """A 429 with a sub-second hint starts pacing; *calls* calls then go out at the pace."""
    with fake_errors():
        with pytest.raises(FakeAPIError), gate:
            raise rate_limited(0.5)
        for _ in range(calls):
            with gate:
                pass
    assert gate.paced_rate is not None


def test_gate_paced_under_freezegun_does_not_close_after_it() -> None:
    """Paced inside freeze_time, the next call after it waits at most one pace step (the
    schedule set under the frozen clock is not ~1.8e9 s ahead of the real one)."""
    gate = rk.RateLimitGate("frozen-pace", window=60.0)
    with freeze_time("2026-01-01"), no_wait():
        _pace_after_a_429(gate)
    with no_wait() as waits, gate:
        pass
    assert sum(waits.sleeps) <= BLOCK_AND_STEP


def test_gate_paced_under_no_wait_does_not_sleep_the_virtual_time_after_it() -> None:
    """Paced inside no_wait() while 20 s of virtual time passed: the next call outside it does
    not sleep those 20 s back (the pacer's schedule never lies past what it set)."""
    gate = rk.RateLimitGate("virtual-pace", window=60.0)
    with no_wait():
        _pace_after_a_429(gate)
        _clock.sleep(20.0)  # other waits of the test (retry backoff) in virtual time
        with gate:
            pass
    with no_wait() as waits, gate:
        pass
    assert sum(waits.sleeps) <= BLOCK_AND_STEP


def test_gate_pacer_survives_a_backward_jump_of_its_clock() -> None:
    """A pace schedule set at t=1.7e9 and read after the clock jumped to t=100 waits at most
    the pace step it had set, and pacing still ends after its quiet windows."""
    from resilience_kit._throughput._gate import _Pacer

    pacer = _Pacer(window=1.0)
    pacer.limited(1.7e9, 0.5)
    first, _ = pacer.reserve(1.7e9)
    assert 0.0 < first <= 0.5
    wait, _ = pacer.reserve(100.0)
    assert 0.0 < wait <= first + 1.0 / (pacer.rate or 1.0)
    pacer.reserve(100.0 + 11.0)  # ten quiet windows later on the new clock
    assert pacer.rate is None
