"""Circuit breaker: generations, streams, context managers, windows, control, events, registry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import nullcontext

import pytest
import structlog
from freezegun import freeze_time

import resilience_kit as rk
from resilience_kit import CircuitState
from resilience_kit.testing import no_wait
from tests.unit._breaker_helpers import Clock

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


def fail(breaker: rk.CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(ConnectionError), breaker:
            raise ConnectionError


def test_outcome_admitted_before_trip_does_not_touch_open_state() -> None:
    """A failure admitted while closed but ending after the trip does not extend the open time."""
    clock = Clock()
    breaker = rk.CircuitBreaker("g", failure_threshold=2, recovery_timeout=10.0, clock=clock)
    breaker.__enter__()  # admitted at generation 0
    fail(breaker, 2)  # trips meanwhile
    clock.advance(3.0)
    breaker.__exit__(ConnectionError, ConnectionError(), None)
    snap = breaker.snapshot()
    assert (OPEN, 1, 1) == (snap.state, snap.trips, snap.generation)
    assert 7.0 == snap.retry_after


def test_success_admitted_before_trip_does_not_close_half_open() -> None:
    """A success admitted while closed but finishing during half-open is not a probe success."""
    clock = Clock()
    breaker = rk.CircuitBreaker("g", failure_threshold=1, recovery_timeout=10.0, clock=clock)
    with breaker:
        fail(breaker)
        clock.advance(10.0)
        assert HALF_OPEN == breaker.state
    assert HALF_OPEN == breaker.state


def test_generator_failure_after_first_item_counts() -> None:
    """A stream that fails after yielding is judged a failure when it ends."""
    breaker = rk.CircuitBreaker("s", failure_threshold=1, clock=Clock())

    @breaker
    def stream() -> Iterator[int]:
        yield 1
        raise TimeoutError

    items = stream()
    assert 1 == next(items)
    assert CLOSED == breaker.state
    with pytest.raises(TimeoutError):
        next(items)
    assert OPEN == breaker.state


def test_generator_closed_early_is_ignored() -> None:
    """A consumer that stops reading a half-open probe stream releases the permit."""
    clock = Clock()
    breaker = rk.CircuitBreaker("s", failure_threshold=1, recovery_timeout=1.0, clock=clock)
    fail(breaker)
    clock.advance(1.0)

    @breaker
    def stream() -> Iterator[int]:
        yield 1
        yield 2

    items = stream()
    assert 1 == next(items)
    items.close()
    assert HALF_OPEN == breaker.state
    assert [1, 2] == list(stream())
    assert CLOSED == breaker.state


async def test_async_generator_closed_early_is_ignored() -> None:
    """An async stream closed early (aclose) is ignored and its inner stream closed."""
    clock = Clock()
    breaker = rk.CircuitBreaker("s", failure_threshold=1, recovery_timeout=1.0, clock=clock)
    fail(breaker)
    clock.advance(1.0)
    closed = []

    @breaker
    async def stream() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            closed.append(True)

    items = stream()
    assert 1 == await items.__anext__()
    await items.aclose()
    assert [True] == closed
    assert HALF_OPEN == breaker.state
    assert 0 == breaker.snapshot().probes_in_flight


async def test_async_generator_forwards_asend_and_athrow() -> None:
    """A guarded async stream passes asend values and thrown exceptions to the inner stream;
    a thrown exception the stream handles is not a failure, one it lets out is."""
    breaker = rk.CircuitBreaker("s", failure_threshold=1, recovery_timeout=60.0)

    @breaker
    async def echo() -> AsyncIterator[object]:
        received: object = yield "ready"
        while True:
            try:
                received = yield f"got {received}"
            except KeyError:  # noqa: PERF203 - the stream under test
                received = "handled"

    items = echo()
    assert "ready" == await items.__anext__()
    assert "got hello" == await items.asend("hello")
    assert "got handled" == await items.athrow(KeyError("x"))
    assert CLOSED == breaker.state
    with pytest.raises(ConnectionError):
        await items.athrow(ConnectionError("backend went away"))
    assert OPEN == breaker.state


async def test_empty_async_generator_is_a_success() -> None:
    """A half-open probe that streams nothing ends cleanly and closes the circuit."""
    clock = Clock()
    breaker = rk.CircuitBreaker("s", failure_threshold=1, recovery_timeout=1.0, clock=clock)
    fail(breaker)
    clock.advance(1.0)

    @breaker
    async def empty() -> AsyncIterator[int]:
        return
        yield

    assert [] == [item async for item in empty()]
    assert CLOSED == breaker.state
    assert 0 == breaker.snapshot().probes_in_flight


def test_stream_rejected_when_iteration_starts() -> None:
    """An open breaker rejects a stream at its first item, before the body runs."""
    breaker = rk.CircuitBreaker("s", failure_threshold=1, clock=Clock())
    fail(breaker)
    ran = []

    @breaker
    def stream() -> Iterator[int]:
        ran.append(1)
        yield 1

    items = stream()
    with pytest.raises(rk.CircuitOpenError):
        next(items)
    assert [] == ran


async def test_async_context_manager_counts_failures() -> None:
    """`async with breaker:` records failures and rejects once open."""
    breaker = rk.CircuitBreaker("cm", failure_threshold=2, clock=Clock())
    for _ in range(2):
        with pytest.raises(asyncio.TimeoutError):
            async with breaker:
                raise asyncio.TimeoutError
    with pytest.raises(rk.CircuitOpenError):
        async with breaker:
            pass


def test_result_predicate_marks_failures() -> None:
    """is_failure_result turns a returned value into a failure."""
    breaker = rk.CircuitBreaker(
        "r", failure_threshold=2, is_failure_result=lambda r: r is None, clock=Clock()
    )

    @breaker
    def fetch(value: int | None) -> int | None:
        return value

    fetch(None)
    fetch(1)
    fetch(None)
    assert CLOSED == breaker.state
    fetch(None)
    assert OPEN == breaker.state


def test_count_window_trips_on_failure_rate() -> None:
    """CountWindow opens when the failure rate of the last `size` calls reaches the limit."""
    breaker = rk.CircuitBreaker(
        "w", window=rk.CountWindow(size=4, failure_rate=0.5, minimum_calls=4), clock=Clock()
    )

    @breaker
    def call(*, ok: bool) -> None:
        if not ok:
            raise ConnectionError

    for ok in (True, False, True):
        with nullcontext() if ok else pytest.raises(ConnectionError):
            call(ok=ok)
    assert CLOSED == breaker.state
    with pytest.raises(ConnectionError):
        call(ok=False)
    assert OPEN == breaker.state
    assert 0.5 == breaker.snapshot().failure_rate


def test_time_window_forgets_old_failures() -> None:
    """TimeWindow counts only outcomes from the last `seconds` and waits for minimum_calls."""
    clock = Clock()
    breaker = rk.CircuitBreaker(
        "t", window=rk.TimeWindow(seconds=10.0, failure_rate=1.0, minimum_calls=3), clock=clock
    )
    fail(breaker, 2)
    clock.advance(11.0)
    fail(breaker, 2)
    assert CLOSED == breaker.state
    assert (2, 2) == (breaker.snapshot().calls, breaker.snapshot().failures)
    fail(breaker)
    assert OPEN == breaker.state


def test_open_time_grows_with_cap_and_jitter() -> None:
    """Repeated trips grow the open time by recovery_backoff up to max_recovery_timeout."""
    clock = Clock()
    breaker = rk.CircuitBreaker(
        "b",
        failure_threshold=1,
        recovery_timeout=10.0,
        recovery_backoff=2.0,
        max_recovery_timeout=30.0,
        clock=clock,
    )
    seen = []
    fail(breaker)
    for _ in range(3):
        seen.append(breaker.snapshot().retry_after)
        clock.advance(seen[-1])
        fail(breaker)  # the probe fails
    assert [10.0, 20.0, 30.0] == seen
    jittery = rk.CircuitBreaker("j", failure_threshold=1, recovery_jitter=0.5, clock=clock)
    fail(jittery)
    assert 15.0 <= jittery.snapshot().retry_after <= 30.0


def test_force_open_disable_and_reset() -> None:
    """force_open rejects everything, disable lets everything through, reset restores CLOSED."""
    breaker = rk.CircuitBreaker("c", failure_threshold=1, clock=Clock())
    breaker.force_open()
    assert OPEN == breaker.state
    with pytest.raises(rk.CircuitOpenError), breaker:
        pass
    breaker.reset()
    breaker.disable()
    fail(breaker, 3)
    assert CLOSED == breaker.state
    assert breaker.snapshot().disabled
    breaker.reset()
    fail(breaker)
    assert OPEN == breaker.state
    breaker.reset()
    assert CLOSED == breaker.state
    assert 0 == breaker.snapshot().failures


def test_listeners_and_events_and_broken_listener() -> None:
    """Transitions reach listeners and structlog; a raising listener never reaches the caller."""
    clock = Clock()
    seen: list[tuple[str, CircuitState, CircuitState]] = []

    def broken(name: str, old: CircuitState, new: CircuitState) -> None:
        raise RuntimeError("listener bug")

    breaker = rk.CircuitBreaker(
        "ev", failure_threshold=1, recovery_timeout=1.0, clock=clock, listeners=[broken]
    )
    breaker.add_listener(lambda *change: seen.append(change))
    with structlog.testing.capture_logs() as logs:
        fail(breaker)
        with pytest.raises(rk.CircuitOpenError), breaker:
            pass
        clock.advance(1.0)
        with breaker:
            pass
    assert [("ev", CLOSED, OPEN), ("ev", OPEN, HALF_OPEN), ("ev", HALF_OPEN, CLOSED)] == seen
    changes = [e for e in logs if e["event"] == "breaker_state_changed"]
    assert ["open", "half_open", "closed"] == [e["new_state"] for e in changes]
    rejected = [e for e in logs if e["event"] == "breaker_rejected"]
    assert [1.0] == [e["retry_after"] for e in rejected]
    assert 3 == sum(e["event"] == "breaker_listener_failed" for e in logs)


def test_rejections_log_once_per_open_spell_at_info() -> None:
    """Rejections of one open spell: the first at info, the rest at debug; a new trip logs
    at info again. Every rejection is counted."""
    clock = Clock()
    breaker = rk.CircuitBreaker("flood", failure_threshold=1, recovery_timeout=1.0, clock=clock)
    with structlog.testing.capture_logs() as logs:
        fail(breaker)
        for _ in range(3):
            with pytest.raises(rk.CircuitOpenError), breaker:
                pass
        clock.advance(1.0)
        fail(breaker)  # the probe fails: a new open spell
        for _ in range(2):
            with pytest.raises(rk.CircuitOpenError), breaker:
                pass
    levels = [e["log_level"] for e in logs if e["event"] == "breaker_rejected"]
    assert ["info", "debug", "debug", "info", "debug"] == levels
    assert 5 == breaker.snapshot().rejected


def test_default_clock_follows_freezegun() -> None:
    """Without an injected clock the breaker reads the kit's monotonic clock at call time."""
    with freeze_time("2026-01-01 00:00:00") as frozen:
        breaker = rk.CircuitBreaker("f", failure_threshold=1, recovery_timeout=30.0)
        fail(breaker)
        assert OPEN == breaker.state
        frozen.tick(30.0)
        assert HALF_OPEN == breaker.state


def test_registry_returns_shared_breaker_and_rejects_other_config() -> None:
    """circuit_breaker(name) is shared; a different config under the same name raises."""
    first = rk.circuit_breaker("registry-test", failure_threshold=3)
    assert first is rk.circuit_breaker("registry-test", failure_threshold=3)
    with pytest.raises(rk.ConfigurationError, match="failure_threshold") as info:
        rk.circuit_breaker("registry-test", failure_threshold=4)
    assert "name" == info.value.field


def test_retry_outside_breaker_does_not_retry_open_circuit() -> None:
    """@retry outside @breaker retries real failures; the trip ends it without another sleep."""
    breaker = rk.CircuitBreaker("retry-order", failure_threshold=2, clock=Clock())
    hits = 0

    @rk.retry("default", max_attempts=5)
    @breaker
    def call() -> None:
        nonlocal hits
        hits += 1
        raise ConnectionError("down")

    with no_wait() as waits, pytest.raises(rk.CircuitOpenError) as caught:
        call()
    assert 2 == hits
    assert 1 == len(waits.sleeps)  # no backoff towards the rejection after the trip
    assert isinstance(caught.value.__cause__, ConnectionError)
