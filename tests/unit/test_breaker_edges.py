"""Circuit-breaker edge cases: broken user code, window eviction, overflow, churn, misuse."""

from __future__ import annotations

from typing import Any

import pytest
import structlog

import resilience_kit as rk
from resilience_kit import CircuitState
from resilience_kit.storage import BreakerRecord, MemoryStorage
from tests.unit._breaker_helpers import Clock

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


def fail(breaker: rk.CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(ConnectionError), breaker:
            raise ConnectionError


def test_broken_predicates_never_reach_the_caller() -> None:
    """A raising is_failure ignores the outcome; a raising is_failure_result counts a success."""

    def broken(_: object) -> bool:
        raise RuntimeError("predicate bug")

    breaker = rk.CircuitBreaker(
        "p", failure_threshold=1, is_failure=broken, is_failure_result=broken, clock=Clock()
    )

    @breaker
    def call(*, ok: bool) -> str:
        if not ok:
            raise ConnectionError
        return "ok"

    with structlog.testing.capture_logs() as logs:
        with pytest.raises(ConnectionError):
            call(ok=False)
        assert "ok" == call(ok=True)
    assert CLOSED == breaker.state
    assert 2 == sum(e["event"] == "breaker_predicate_failed" for e in logs)
    assert (1, 0) == (breaker.snapshot().calls, breaker.snapshot().failures)


def test_count_window_slides() -> None:
    """Old outcomes leave a CountWindow as new ones arrive."""
    breaker = rk.CircuitBreaker(
        "c", window=rk.CountWindow(size=3, failure_rate=1.0, minimum_calls=3), clock=Clock()
    )
    fail(breaker, 2)
    with breaker:
        pass
    fail(breaker, 2)  # window: success, failure, failure
    assert CLOSED == breaker.state
    assert (3, 2) == (breaker.snapshot().calls, breaker.snapshot().failures)
    fail(breaker)
    assert OPEN == breaker.state


def test_time_window_counts_successes_and_clears_on_close() -> None:
    """TimeWindow counts successes toward the rate and starts empty after recovery."""
    clock = Clock()
    breaker = rk.CircuitBreaker(
        "t",
        window=rk.TimeWindow(seconds=5.0, failure_rate=0.5, minimum_calls=4),
        recovery_timeout=1.0,
        clock=clock,
    )
    for _ in range(3):
        with breaker:
            pass
    fail(breaker, 2)
    assert CLOSED == breaker.state  # 2 of 5
    fail(breaker)
    assert OPEN == breaker.state  # 3 of 6
    clock.advance(1.0)
    with breaker:
        pass
    assert (CLOSED, 0) == (breaker.state, breaker.snapshot().calls)


def test_huge_backoff_is_capped_not_overflowing() -> None:
    """An open time that would overflow a float is the cap."""
    clock = Clock()
    breaker = rk.CircuitBreaker(
        "o",
        failure_threshold=1,
        recovery_timeout=1.0,
        recovery_backoff=1e300,
        max_recovery_timeout=50.0,
        clock=clock,
    )
    fail(breaker)
    for _ in range(3):
        clock.advance(breaker.snapshot().retry_after)
        fail(breaker)
    assert 50.0 == breaker.snapshot().retry_after


def test_disabled_shared_breaker_records_nothing() -> None:
    """disable() also short-circuits a breaker on shared storage."""
    clock = Clock()
    breaker = rk.CircuitBreaker(
        "d", failure_threshold=1, storage=MemoryStorage(clock=clock), clock=clock
    )
    breaker.disable()
    fail(breaker, 3)
    assert CLOSED == breaker.state
    assert 0 == breaker.snapshot().calls


def test_forced_open_reports_recovery_timeout() -> None:
    """A forced-open breaker suggests recovery_timeout as retry_after."""
    breaker = rk.CircuitBreaker("f", recovery_timeout=7.0, clock=Clock())
    breaker.force_open()
    assert (OPEN, 7.0, True) == (
        breaker.state,
        breaker.snapshot().retry_after,
        breaker.snapshot().forced_open,
    )
    assert "<CircuitBreaker 'f' open>" == repr(breaker)


def test_reset_wins_over_a_newer_shared_state() -> None:
    """reset() in a stale process still closes the shared circuit."""
    clock = Clock()
    storage = MemoryStorage(clock=clock)
    a = rk.CircuitBreaker("r", failure_threshold=1, storage=storage, clock=clock)
    b = rk.CircuitBreaker("r", failure_threshold=1, storage=storage, clock=clock)
    with b:
        pass  # b synced at generation 0
    fail(a)
    b.reset()
    record = storage.breaker_load("r")
    assert record is not None
    assert ("closed", 2) == (record.state, record.generation)
    clock.advance(1.0)
    assert CLOSED == a.state


class ChurningStorage(MemoryStorage):
    """Every half-open publish loses to a newer, already expired, open record."""

    def breaker_publish(self, name: str, **kwargs: Any) -> BreakerRecord:
        if kwargs["state"] != "half_open":
            return super().breaker_publish(name, **kwargs)
        return BreakerRecord("open", kwargs["expected_generation"] + 1, 0.0, 1)


def test_half_open_attempt_gives_up_after_churn() -> None:
    """A call whose half-open step loses to another process's record is rejected, not looped."""
    clock = Clock()
    breaker = rk.CircuitBreaker(
        "ch",
        failure_threshold=1,
        recovery_timeout=1.0,
        storage=ChurningStorage(clock=clock),
        clock=clock,
    )
    fail(breaker)
    clock.advance(1.0)
    with pytest.raises(rk.CircuitOpenError), breaker:
        pass
    assert 2 == breaker.snapshot().generation  # the storage's answer, as new as ours, adopted


def test_exit_without_enter_is_an_error() -> None:
    """Leaving a breaker that was never entered is a programming error, said clearly."""
    breaker = rk.CircuitBreaker("e")
    with pytest.raises(RuntimeError, match="without entering"):
        breaker.__exit__(None, None, None)


def test_guarding_a_non_callable_is_a_type_error() -> None:
    """@breaker on something that is not callable fails at decoration time."""
    breaker = rk.CircuitBreaker("n")
    with pytest.raises(TypeError, match="callable"):
        breaker(42)  # type: ignore[arg-type]


async def test_callable_object_with_async_call_is_awaited() -> None:
    """A callable object whose __call__ is async is guarded as an async function."""
    breaker = rk.CircuitBreaker("obj", failure_threshold=1, clock=Clock())

    class Client:
        async def __call__(self) -> str:
            raise ConnectionError

    guarded = breaker(Client())
    with pytest.raises(ConnectionError):
        await guarded()
    assert OPEN == breaker.state
