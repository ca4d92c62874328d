"""Every layer inside the retry sees every follow-up as a call of its own; slots come back."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit import ErrorCategory
from resilience_kit.testing import NoWait
from tests.unit.continuation_support import (
    ITEMS,
    FromIndex,
    Source,
    acollect,
    collect,
    cut,
)
from tests.unit.retry_support import ScriptedError, classify_scripted


@pytest.fixture(autouse=True)
def scripted_map() -> Iterator[None]:
    """Teach classify() about ScriptedError for each test."""
    unregister = rk.register_exception_map(classify_scripted, name="scripted-test")
    yield
    unregister()


@pytest.fixture(params=["generator", "async_generator"])
def kind(request: pytest.FixtureRequest) -> str:
    """Each test runs for generators and async generators."""
    return str(request.param)


def _stacked(kind: str, source: Source, inner: Any = None, **options: Any) -> Any:
    """``resilient(...)`` over *source*, with *inner* (a decorator) right around it."""
    if kind == "generator":

        def stream(start: int = 0) -> Iterator[str]:
            yield from source.stream(start)

        fn: Any = stream
    else:

        async def astream(start: int = 0) -> AsyncIterator[str]:
            async with contextlib.aclosing(source.astream(start)) as items:
                async for item in items:
                    yield item

        fn = astream
    if inner is not None:
        fn = inner(fn)
    return rk.resilient(continuation=FromIndex(), **options)(fn)


async def _drain(kind: str, fn: Any, limit: int | None = None) -> list[str]:
    if kind == "generator":
        return collect(fn(), limit)
    return await acollect(fn(), limit)


async def test_breaker_judges_each_follow_up(kind: str, rk_no_wait: NoWait) -> None:
    """Two cuts, then the rest: the breaker saw three calls, two failures, and closed."""
    breaker = rk.CircuitBreaker(f"cont-judge-{kind}", failure_threshold=5)
    source = Source(cut(2), cut(3), None)
    out = await _drain(kind, _stacked(kind, source, breaker=breaker))
    assert list(ITEMS) == out
    snap = breaker.snapshot()
    assert (3, 0, 0) == (snap.calls, snap.consecutive_failures, snap.probes_in_flight)
    assert rk.CircuitState.CLOSED == snap.state


async def test_breaker_opened_by_a_cut_fails_fast(kind: str, rk_no_wait: NoWait) -> None:
    """The second cut opens the circuit: no sleep into a certain rejection; CircuitOpenError
    is raised from the cut, as for any attempt."""
    breaker = rk.CircuitBreaker(f"cont-open-{kind}", failure_threshold=2, recovery_timeout=30)
    source = Source(cut(2), cut(3), None)
    with pytest.raises(rk.CircuitOpenError) as info:
        await _drain(kind, _stacked(kind, source, breaker=breaker, max_attempts=5))
    assert isinstance(info.value.__cause__, ScriptedError)
    assert 2 == source.opened
    assert 1 == len(rk_no_wait.sleeps)


async def test_limiter_slot_is_given_back_before_the_follow_up(
    kind: str, rk_no_wait: NoWait
) -> None:
    """A one-slot bulkhead: the cut stream's slot comes back before the follow-up takes it,
    and none is held after the stream ends."""
    slots = rk.bulkhead(1)
    limiter = rk.AdaptiveLimiter(initial=1, min=1, max=1)
    source = Source(cut(2), cut(3), None)
    out = await _drain(kind, _stacked(kind, source, inner=slots, limiter=limiter))
    assert list(ITEMS) == out
    assert (0, 0) == (slots.in_use, limiter.in_flight)


async def test_token_limiter_counts_every_follow_up(kind: str, rk_no_wait: NoWait) -> None:
    """rpm=3: a stream cut twice took three requests; the next call waits for the bucket."""
    tokens = rk.TokenLimiter(rpm=3)
    source = Source(cut(2), cut(3), None)
    await _drain(kind, _stacked(kind, source, tokens=tokens))
    assert 2 == len(rk_no_wait.sleeps)
    with tokens:
        pass
    assert 3 == len(rk_no_wait.sleeps)
    assert rk_no_wait.sleeps[-1] > 15.0  # a whole request's refill, less the backoffs waited


async def test_early_close_gives_every_slot_back(kind: str, rk_no_wait: NoWait) -> None:
    """The consumer stops inside a follow-up: breaker permit, limiter and bulkhead slots back."""
    slots = rk.bulkhead(1)
    limiter = rk.AdaptiveLimiter(initial=1, min=1, max=1)
    breaker = rk.CircuitBreaker(f"cont-close-{kind}", failure_threshold=5)
    source = Source(cut(2), None)
    fn = _stacked(kind, source, inner=slots, limiter=limiter, breaker=breaker)
    assert list(ITEMS[:4]) == await _drain(kind, fn, limit=4)
    assert (0, 0, 0) == (slots.in_use, limiter.in_flight, breaker.snapshot().probes_in_flight)
    assert source.opened == source.closed


async def test_not_retryable_follow_up_failure_is_raised(kind: str, rk_no_wait: NoWait) -> None:
    """A follow-up refused with a failure that is not retryable: that failure propagates."""
    source = Source(cut(2), ("open", ErrorCategory.AUTH))
    with pytest.raises(ScriptedError) as info:
        await _drain(kind, _stacked(kind, source))
    assert ErrorCategory.AUTH == info.value.category
    assert "auth is not retryable" in info.value.__notes__[-1]
