"""Streams cut after output continue: one stream for the caller, each follow-up an attempt."""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

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
    fails_open,
)
from tests.unit.retry_support import ScriptedError, classify_scripted

CONNECTION = ErrorCategory.CONNECTION


@pytest.fixture(autouse=True)
def scripted_map() -> Iterator[None]:
    """Teach classify() about ScriptedError for each test."""
    unregister = rk.register_exception_map(classify_scripted, name="scripted-test")
    yield
    unregister()


def _sync(source: Source, **options: Any) -> Any:
    @rk.retry(**options)
    def stream(start: int = 0) -> Iterator[str]:
        yield from source.stream(start)

    return stream


def _async(source: Source, **options: Any) -> Any:
    @rk.retry(**options)
    async def stream(start: int = 0) -> AsyncIterator[str]:
        async with contextlib.aclosing(source.astream(start)) as items:
            async for item in items:
                yield item

    return stream


async def _run(kind: str, source: Source, limit: int | None = None, **options: Any) -> list[str]:
    if kind == "generator":
        return collect(_sync(source, **options)(), limit)
    return await acollect(_async(source, **options)(), limit)


@pytest.fixture(params=["generator", "async_generator"])
def kind(request: pytest.FixtureRequest) -> str:
    """Each test runs for generators and async generators."""
    return str(request.param)


async def test_three_cuts_one_stream(kind: str, rk_no_wait: NoWait) -> None:
    """Three cuts after output: the caller sees every item once, in order; four attempts."""
    source = Source(cut(2), cut(3), cut(1))
    continuation = FromIndex()
    out = await _run(kind, source, continuation=continuation, max_attempts=5)
    assert list(ITEMS) == out
    assert [0, 2, 5, 6] == source.calls
    assert 3 == len(rk_no_wait.sleeps)
    assert [2, 5, 6] == [len(c.delivered) for c in continuation.cuts]
    assert [0, 1, 2] == [c.continued for c in continuation.cuts]
    assert source.opened == source.closed


async def test_off_is_todays_behaviour(kind: str, rk_no_wait: NoWait) -> None:
    """Without a continuation a cut after output propagates unretried with today's note."""
    source = Source(cut(2))
    with pytest.raises(ScriptedError) as info:
        await _run(kind, source)
    assert 1 == source.opened
    assert any("not retried to avoid duplicates" in n for n in info.value.__notes__)
    assert [] == rk_no_wait.sleeps


async def test_not_retryable_cut_is_reraised_as_today(kind: str, rk_no_wait: NoWait) -> None:
    """A failure that is not retryable mid-stream propagates with today's note; no follow-up."""
    source = Source(cut(2, ErrorCategory.AUTH))
    continuation = FromIndex()
    with pytest.raises(ScriptedError) as info:
        await _run(kind, source, continuation=continuation)
    assert [] == continuation.cuts
    assert 1 == source.opened
    assert any("not retried to avoid duplicates" in n for n in info.value.__notes__)


async def test_follow_ups_count_against_max_attempts(kind: str, rk_no_wait: NoWait) -> None:
    """max_attempts=3: the third cut gives up; the note says attempts and items delivered."""
    source = Source(cut(1), cut(1), cut(1))
    with pytest.raises(ScriptedError) as info:
        await _run(kind, source, continuation=FromIndex(), max_attempts=3)
    assert 3 == source.opened
    assert source.opened == source.closed
    note = info.value.__notes__[-1]
    assert "after 3 attempts and 3 streamed items" in note
    assert "max_attempts=3 reached" in note


async def test_failed_follow_up_is_retried_as_an_attempt(kind: str, rk_no_wait: NoWait) -> None:
    """A follow-up failing before its first item is retried with the same arguments."""
    source = Source(cut(4), fails_open(), None)
    out = await _run(kind, source, continuation=FromIndex(), max_attempts=3)
    assert list(ITEMS) == out
    assert [0, 4, 4] == source.calls
    assert 2 == len(rk_no_wait.sleeps)


async def test_deadline_bounds_follow_ups(kind: str, rk_no_wait: NoWait) -> None:
    """A backoff that would end past the deadline is never started: the cut propagates."""
    source = Source(cut(2), cut(2))
    options = {"initial_wait": 4.0, "max_wait": 4.0, "jitter": 0.0, "deadline": 6.0}
    with pytest.raises(ScriptedError) as info:
        await _run(kind, source, continuation=FromIndex(), max_attempts=10, **options)
    assert [4.0] == rk_no_wait.sleeps
    assert "past the deadline" in info.value.__notes__[-1]
    assert 2 == source.opened


async def test_declined_cut_propagates_with_reason(kind: str, rk_no_wait: NoWait) -> None:
    """A continuation that declines: the cut propagates with the reason in its note."""

    class Never(rk.Continuation):
        def follow_up(self, cut: rk.StreamCut) -> rk.FollowUp:
            return rk.FollowUp.declined("no resume point")

    source = Source(cut(3))
    with pytest.raises(ScriptedError) as info:
        await _run(kind, source, continuation=Never())
    assert "not continued: no resume point" in info.value.__notes__[-1]
    assert 1 == source.opened


async def test_events_say_continued_after_n_items(kind: str, rk_no_wait: NoWait) -> None:
    """The retry_scheduled event of a follow-up says how many items came before the cut."""
    source = Source(cut(5))
    with capture_logs() as logs:
        await _run(kind, source, continuation=FromIndex())
    scheduled = [e for e in logs if e["event"] == "retry_scheduled"]
    assert ["continued after 5 items"] == [e["detail"] for e in scheduled]


async def test_early_close_closes_the_follow_up(kind: str, rk_no_wait: NoWait) -> None:
    """The consumer stops inside a follow-up: every stream opened is closed."""
    source = Source(cut(2))
    if kind == "generator":
        gen = _sync(source, continuation=FromIndex())()
        assert ["item0", "item1", "item2"] == [next(gen) for _ in range(3)]
        gen.close()
    else:
        agen = _async(source, continuation=FromIndex())()
        assert ["item0", "item1", "item2"] == [await agen.__anext__() for _ in range(3)]
        await agen.aclose()
    assert 2 == source.opened
    assert 2 == source.closed


def test_continuation_must_be_one() -> None:
    """A continuation that is not a Continuation fails at decoration, naming the field."""
    with pytest.raises(rk.ConfigurationError, match="continuation"):
        rk.retry(continuation=object())  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]


def test_continuation_needs_a_generator() -> None:
    """A continuation on a plain function is a configuration error, not silently ignored."""
    with pytest.raises(rk.ConfigurationError, match="generator functions"):

        @rk.retry(continuation=FromIndex())
        def plain() -> int:
            return 1


def test_context_carries_attempt_and_deadline(rk_no_wait: NoWait) -> None:
    """Inside a follow-up, the call's context says its attempt number and the deadline."""
    from resilience_kit import _call

    seen: list[tuple[int, float]] = []
    source = Source(cut(2))

    @rk.retry(continuation=FromIndex(), deadline=30.0)
    def stream(start: int = 0) -> Iterator[str]:
        ctx = _call.current()
        if ctx is not None:
            seen.append((ctx.attempt, ctx.deadline))
        yield from source.stream(start)

    assert list(ITEMS) == list(stream())
    assert [1, 2] == [attempt for attempt, _ in seen]
    assert seen[0][1] == seen[1][1] < math.inf  # one deadline for the whole call


class _Broken(rk.Continuation):
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def follow_up(self, cut: rk.StreamCut) -> rk.FollowUp:
        if isinstance(self.answer, Exception):
            raise self.answer
        result: rk.FollowUp = self.answer
        return result


@pytest.mark.parametrize(
    ("answer", "says"),
    [(RuntimeError("bug"), "raised RuntimeError"), ("start=3", "returned str, not a FollowUp")],
)
async def test_a_broken_continuation_never_hides_the_cut(
    kind: str, rk_no_wait: NoWait, answer: Any, says: str
) -> None:
    """A continuation that raises or answers nonsense: the cut propagates, the note says why."""
    source = Source(cut(3))
    with pytest.raises(ScriptedError) as info:
        await _run(kind, source, continuation=_Broken(answer))
    assert says in info.value.__notes__[-1]
    assert 1 == source.opened


async def test_follow_up_with_nothing_left_ends_the_stream(kind: str, rk_no_wait: NoWait) -> None:
    """A cut after the last item: the follow-up is empty and the stream simply ends."""
    source = Source(cut(len(ITEMS)), None)
    out = await _run(kind, source, continuation=FromIndex())
    assert list(ITEMS) == out
    assert [0, len(ITEMS)] == source.calls


def test_send_and_throw_reach_the_stream_being_relayed(rk_no_wait: NoWait) -> None:
    """send() values and throw() exceptions reach the follow-up, as with ``yield from``."""
    seen: list[Any] = []

    class StopError(Exception):
        pass

    @rk.retry(continuation=FromIndex())
    def echo(start: int = 0) -> Iterator[Any]:
        if start == 0:
            seen.append((yield "first"))
            raise ConnectionError("cut")
        try:
            seen.append((yield f"again {start}"))
        except StopError:
            yield "stopped"

    gen = echo()
    assert "first" == next(gen)
    assert "again 1" == gen.send("hello")
    assert "stopped" == gen.throw(StopError())
    assert ["hello"] == seen
    gen.close()


async def test_a_budget_veto_ends_the_continuation(kind: str, rk_no_wait: NoWait) -> None:
    """An exhausted retry budget refuses the follow-up like any retry."""
    budget = rk.RetryBudget(ratio=0.0, min_per_second=0.0)
    source = Source(cut(2))
    with pytest.raises(ScriptedError) as info:
        await _run(kind, source, continuation=FromIndex(), budget=budget)
    assert "retry refused" in info.value.__notes__[-1]


async def test_hooks_and_metrics_count_follow_ups(kind: str, rk_no_wait: NoWait) -> None:
    """on_retry gets each follow-up with "continued after N items"."""
    records: list[rk.AttemptRecord] = []
    source = Source(cut(2), cut(4))
    await _run(kind, source, continuation=FromIndex(), on_retry=records.append)
    assert ["continued after 2 items", "continued after 6 items"] == [r.detail for r in records]
    assert [1, 2] == [r.attempt for r in records]


def test_metrics_count_each_call_once(rk_no_wait: NoWait) -> None:
    """Metrics: a continued call is one call; each cut is a failure under its category; a call
    that gives up after output is a give-up ``after_first_item``, never a second call."""
    from resilience_kit import metrics

    metrics.reset()
    try:
        fine = _sync(Source(cut(2), cut(3)), continuation=FromIndex(), name="cont-fine")
        assert list(ITEMS) == list(fine())
        lost = _sync(
            Source(cut(2), cut(2)), continuation=FromIndex(), max_attempts=2, name="cont-lost"
        )
        with pytest.raises(ScriptedError):
            list(lost())
        ok = metrics.snapshot().function("cont-fine")
        gave = metrics.snapshot().function("cont-lost")
    finally:
        metrics.reset()
    assert (1, 1, 0) == (ok.calls, ok.successes, ok.gave_up)
    assert {CONNECTION: 2} == dict(ok.failures)
    assert (1, 0, 1) == (gave.calls, gave.successes, gave.gave_up)
    assert {"after_first_item": 1} == dict(gave.gave_up_reasons)
    assert {CONNECTION: 2} == dict(gave.failures)


def test_each_next_in_a_fresh_context_copy(rk_no_wait: NoWait) -> None:
    """Starlette/anyio run each next() in a copy of the context: the follow-ups still see the
    call's context (attempt, deadline) and the stream comes out whole."""
    import contextvars

    from resilience_kit import _call

    seen: list[int] = []
    source = Source(cut(2), cut(3))

    @rk.retry(continuation=FromIndex(), deadline=30.0)
    def stream(start: int = 0) -> Iterator[str]:
        ctx = _call.current()
        seen.append(0 if ctx is None else ctx.attempt)
        yield from source.stream(start)

    gen = stream()
    done = object()
    out: list[Any] = []
    while (item := contextvars.copy_context().run(next, gen, done)) is not done:
        out.append(item)
    assert list(ITEMS) == out
    assert [2, 3] == seen[1:]
