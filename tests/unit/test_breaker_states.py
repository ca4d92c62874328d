"""Circuit-breaker state machine in virtual time, for all four function kinds."""

from __future__ import annotations

import pytest

import resilience_kit as rk
from resilience_kit import CircuitState
from tests.unit._breaker_helpers import KINDS, Backend, Clock, guarded

pytestmark = pytest.mark.parametrize("kind", KINDS)


def make(clock: Clock, **options: object) -> rk.CircuitBreaker:
    options.setdefault("failure_threshold", 3)
    options.setdefault("recovery_timeout", 10.0)
    return rk.CircuitBreaker("svc", clock=clock, **options)  # type: ignore[arg-type]


async def trip(call: object, times: int) -> None:
    for _ in range(times):
        with pytest.raises(TimeoutError):
            await call(TimeoutError("upstream"))  # type: ignore[operator]


async def test_closed_opens_after_threshold_failures(kind: str) -> None:
    """CLOSED stays closed below the threshold and opens at it."""
    clock, backend = Clock(), Backend()
    breaker = make(clock)
    call = guarded(breaker, kind, backend)
    await trip(call, 2)
    assert CircuitState.CLOSED == breaker.state
    await trip(call, 1)
    assert CircuitState.OPEN == breaker.state
    assert 3 == backend.hits


async def test_open_rejects_without_reaching_backend(kind: str) -> None:
    """OPEN rejects at once with CircuitOpenError carrying name and retry_after."""
    clock, backend = Clock(), Backend()
    breaker = make(clock)
    call = guarded(breaker, kind, backend)
    await trip(call, 3)
    clock.advance(4.0)
    with pytest.raises(rk.CircuitOpenError) as info:
        await call()
    assert "svc" == info.value.name
    assert 6.0 == pytest.approx(info.value.retry_after)
    assert 3 == backend.hits
    assert rk.ErrorCategory.CIRCUIT_OPEN == rk.classify(info.value).category
    assert not rk.classify(info.value).retryable


async def test_open_reads_half_open_after_timeout_without_a_call(kind: str) -> None:
    """The state property shows HALF_OPEN once the open time is over, with no call made."""
    clock, backend = Clock(), Backend()
    breaker = make(clock)
    await trip(guarded(breaker, kind, backend), 3)
    clock.advance(9.99)
    assert CircuitState.OPEN == breaker.state
    clock.advance(0.01)
    assert CircuitState.HALF_OPEN == breaker.state
    assert 0.0 == breaker.snapshot().retry_after


async def test_half_open_probe_success_closes(kind: str) -> None:
    """success_threshold probe successes close the circuit and clear the counts."""
    clock, backend = Clock(), Backend()
    breaker = make(clock, success_threshold=2)
    call = guarded(breaker, kind, backend)
    await trip(call, 3)
    clock.advance(10.0)
    await call()
    assert CircuitState.HALF_OPEN == breaker.state
    await call()
    assert CircuitState.CLOSED == breaker.state
    snap = breaker.snapshot()
    assert (0, 0, 0) == (snap.calls, snap.failures, snap.trips)
    assert snap.opened_at is None


async def test_half_open_probe_failure_reopens(kind: str) -> None:
    """A failing probe opens the circuit again for a fresh recovery_timeout."""
    clock, backend = Clock(), Backend()
    breaker = make(clock)
    call = guarded(breaker, kind, backend)
    await trip(call, 3)
    clock.advance(10.0)
    await trip(call, 1)
    assert CircuitState.OPEN == breaker.state
    snap = breaker.snapshot()
    assert 10.0 == snap.retry_after
    assert clock.now == snap.opened_at
    assert 2 == snap.trips


async def test_ignored_errors_neither_count_nor_reset(kind: str) -> None:
    """Client errors and rate limits are ignored: they neither count as failures nor reset."""
    clock, backend = Clock(), Backend()
    breaker = make(clock)
    call = guarded(breaker, kind, backend)
    await trip(call, 2)
    for _ in range(5):
        with pytest.raises(ValueError, match="bad request"):
            await call(ValueError("bad request"))
    assert CircuitState.CLOSED == breaker.state
    assert 2 == breaker.snapshot().consecutive_failures
    await trip(call, 1)
    assert CircuitState.OPEN == breaker.state


async def test_success_resets_consecutive_failures(kind: str) -> None:
    """With the default window a success starts the consecutive count again."""
    clock, backend = Clock(), Backend()
    breaker = make(clock)
    call = guarded(breaker, kind, backend)
    await trip(call, 2)
    assert "ok" in str(await call())
    await trip(call, 2)
    assert CircuitState.CLOSED == breaker.state


async def test_ignored_probe_releases_its_permit(kind: str) -> None:
    """An ignored probe leaves the circuit HALF_OPEN and the next probe is admitted."""
    clock, backend = Clock(), Backend()
    breaker = make(clock)
    call = guarded(breaker, kind, backend)
    await trip(call, 3)
    clock.advance(10.0)
    with pytest.raises(ValueError, match="bad"):
        await call(ValueError("bad"))
    assert CircuitState.HALF_OPEN == breaker.state
    assert 0 == breaker.snapshot().probes_in_flight
    await call()
    assert CircuitState.CLOSED == breaker.state


async def test_slow_success_counts_as_failure(kind: str) -> None:
    """A success slower than slow_call_threshold counts as a failure."""
    clock, backend = Clock(), Backend()
    breaker = make(clock, failure_threshold=1, slow_call_threshold=2.0)

    original = backend.run

    def slow_run(exc: BaseException | None) -> str:
        clock.advance(2.5)
        return original(exc)

    backend.run = slow_run  # type: ignore[method-assign]
    await guarded(breaker, kind, backend)()
    assert CircuitState.OPEN == breaker.state


async def test_failure_predicate_overrides_categories(kind: str) -> None:
    """is_failure decides which exceptions are failures instead of the categories."""
    clock, backend = Clock(), Backend()
    breaker = make(clock, failure_threshold=1, is_failure=lambda e: isinstance(e, KeyError))
    call = guarded(breaker, kind, backend)
    with pytest.raises(TimeoutError):
        await call(TimeoutError())
    assert CircuitState.CLOSED == breaker.state
    with pytest.raises(KeyError):
        await call(KeyError("k"))
    assert CircuitState.OPEN == breaker.state
