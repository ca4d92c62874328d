"""``@retry`` owns its call's context: deadline, attempt, classification and rejection."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Iterator

import pytest

import resilience_kit as rk
from resilience_kit import _call
from resilience_kit.testing import NoWait


def test_an_inner_retry_never_sleeps_past_the_outer_deadline(rk_no_wait: NoWait) -> None:
    """Hand-stacked retries share one deadline: the inner one's 5 s backoff is never started."""

    @rk.retry(max_attempts=5, initial_wait=0.5, max_wait=0.5, jitter=0.0, deadline=1.0)
    @rk.retry(max_attempts=3, initial_wait=5.0, max_wait=5.0, jitter=0.0, deadline=45.0)
    def ask() -> None:
        raise TimeoutError("slow")

    with pytest.raises(TimeoutError) as caught:
        ask()
    assert [0.5] == rk_no_wait.sleeps
    assert "the call's deadline" in " ".join(getattr(caught.value, "__notes__", []))


def test_each_attempt_sees_its_number_in_the_call_context(rk_no_wait: NoWait) -> None:
    """ctx.attempt counts attempts; the context is the same object for the whole call."""
    seen: list[tuple[int, int]] = []

    @rk.retry(max_attempts=3)
    def ask() -> str:
        ctx = _call.current()
        assert ctx is not None
        seen.append((ctx.attempt, id(ctx)))
        if len(seen) < 3:
            raise TimeoutError("slow")
        return "ok"

    assert "ok" == ask()
    assert [1, 2, 3] == [attempt for attempt, _ in seen]
    assert 1 == len({ident for _, ident in seen})
    assert _call.current() is None


def test_a_generator_runs_in_its_call_context_whatever_context_next_runs_in() -> None:
    """Every step of a retried generator sees the call's context, even when each ``next()``
    runs in a fresh copy of the consumer's context (as Starlette does)."""
    seen: list[_call.CallContext | None] = []

    @rk.retry(deadline=30.0)
    def stream() -> Iterator[int]:
        for n in range(3):
            seen.append(_call.current())
            yield n

    items = stream()
    got = [contextvars.copy_context().run(next, items) for _ in range(3)]
    assert [0, 1, 2] == got
    assert seen[0] is not None
    assert [seen[0]] * 3 == seen


async def test_an_async_generator_runs_in_its_call_context_in_every_task() -> None:
    """The async twin: each ``__anext__`` in its own task still sees the call's context."""
    seen: list[_call.CallContext | None] = []

    @rk.retry(deadline=30.0)
    async def stream() -> AsyncIterator[int]:
        for n in range(3):
            seen.append(_call.current())
            yield n

    items = stream()
    got = [await asyncio.ensure_future(items.__anext__()) for _ in range(3)]
    await items.aclose()
    assert [0, 1, 2] == got
    assert seen[0] is not None
    assert [seen[0]] * 3 == seen


def test_statistics_are_tenacitys_own_for_a_first_attempt_success(rk_no_wait: NoWait) -> None:
    """A first-attempt success has tenacity's statistics: no stop check ran, so no delay key."""
    failures = [TimeoutError("slow")]

    @rk.retry(max_attempts=3, initial_wait=0.5, max_wait=0.5, jitter=0.0)
    def ask() -> str:
        if failures:
            raise failures.pop()
        return "ok"

    assert "ok" == ask()
    assert (2, 0.5) == (ask.statistics["attempt_number"], ask.statistics["idle_for"])
    assert "delay_since_first_attempt" in ask.statistics
    assert "ok" == ask()
    assert {"start_time", "attempt_number", "idle_for"} == set(ask.statistics)
    assert 1 == ask.statistics["attempt_number"]
