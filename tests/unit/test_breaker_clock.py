"""A clock that jumps (freezegun, ``no_wait()``, a suspended VM) never shortens an announced open
spell, and never stretches one beyond its own length."""

from __future__ import annotations

import pytest

import resilience_kit as rk
from resilience_kit import CircuitState
from tests.unit._breaker_helpers import Clock


def _rejection(breaker: rk.CircuitBreaker) -> float:
    with pytest.raises(rk.CircuitOpenError) as caught, breaker:
        pass
    return caught.value.retry_after


def _tripped(clock: Clock) -> rk.CircuitBreaker:
    breaker = rk.CircuitBreaker("jumps", failure_threshold=1, recovery_timeout=10.0, clock=clock)
    with pytest.raises(ConnectionError), breaker:
        raise ConnectionError("down")
    return breaker


def test_a_clock_that_jumps_back_restarts_the_spell_at_its_own_length() -> None:
    clock = Clock()
    breaker = _tripped(clock)
    clock.advance(4.0)
    assert 6.0 == _rejection(breaker)
    clock.advance(-500.0)  # the clock went back
    assert 10.0 == _rejection(breaker)  # never longer than the spell itself
    clock.advance(9.5)  # 9.5 s after the jump: more than the 6 s announced before it
    assert CircuitState.OPEN == breaker.snapshot().state
    assert 0.5 == pytest.approx(breaker.snapshot().retry_after)
    clock.advance(0.5)
    assert CircuitState.HALF_OPEN == breaker.state


def test_a_clock_that_jumps_forward_ends_the_spell() -> None:
    clock = Clock()
    breaker = _tripped(clock)
    clock.advance(3600.0)
    assert CircuitState.HALF_OPEN == breaker.state
    with breaker:
        pass
    assert CircuitState.CLOSED == breaker.state
