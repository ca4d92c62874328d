"""Model-based test of the relay: any cuts, failures, cancellations and early closes.

A small model predicts what the caller gets from a script of stream events and a consumer; the
real stack (``resilient()`` with a breaker and a limiter, a bulkhead inside) must agree, never
repeat or skip an item, and give every permit and slot back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import resilience_kit as rk
from resilience_kit import ErrorCategory
from resilience_kit.testing import no_wait
from tests.unit.continuation_support import ITEMS, FromIndex, Source
from tests.unit.retry_support import ScriptedError, classify_scripted

MAX_ATTEMPTS = 4
RETRYABLE = [ErrorCategory.CONNECTION, ErrorCategory.OVERLOADED, ErrorCategory.SERVER]
CATEGORIES = st.one_of(
    st.sampled_from(RETRYABLE),
    st.sampled_from(RETRYABLE),
    st.sampled_from([ErrorCategory.AUTH, ErrorCategory.BAD_REQUEST]),
)
cuts = st.tuples(st.just("cut"), st.integers(0, 5), CATEGORIES)
events = st.one_of(
    cuts,
    cuts,
    st.tuples(st.just("cut"), st.integers(0, len(ITEMS)), CATEGORIES),
    st.tuples(st.just("open"), CATEGORIES),
    st.none(),
)
consumers = st.one_of(
    st.just(("all", 0)),
    st.tuples(st.sampled_from(["close", "cancel"]), st.integers(1, len(ITEMS) - 1)),
)


class Cancelled(BaseException):
    """What a sync consumer throws in to abandon the stream (as a cancellation would)."""


def model(script: list[Any], consumer: tuple[str, int]) -> tuple[str, int, Any]:
    """(how the call ends, how many items the caller got, the failure's category or None)."""
    mode, limit = consumer
    pos, attempt = 0, 0
    queue = list(script)
    while True:
        attempt += 1
        event = queue.pop(0) if queue else None
        cut_at: int | None = None
        category = None
        if event is not None:
            cut_at, category = (0, event[1]) if event[0] == "open" else (event[1], event[2])
        remaining = len(ITEMS) - pos
        if cut_at is not None and cut_at > remaining:
            cut_at = None
        got = remaining if cut_at is None else cut_at
        if mode != "all" and pos + got >= limit:
            return mode, limit, None
        pos += got
        if cut_at is None:
            return "done", pos, None
        assert category is not None
        if not category.retryable or attempt >= MAX_ATTEMPTS:
            return "raised", pos, category


class Stack:
    """The decorated stream and the tools whose permits must come back."""

    def __init__(self, source: Source, kind: str) -> None:
        self.slots = rk.bulkhead(1)
        self.limiter = rk.AdaptiveLimiter(initial=1, min=1, max=1)
        self.breaker = rk.CircuitBreaker(f"cont-model-{kind}", failure_threshold=10_000)
        options: dict[str, Any] = {
            "continuation": FromIndex(),
            "breaker": self.breaker,
            "limiter": self.limiter,
            "max_attempts": MAX_ATTEMPTS,
            "deadline": None,
        }
        if kind == "generator":

            @rk.resilient(**options)
            @self.slots
            def stream(start: int = 0) -> Iterator[str]:
                yield from source.stream(start)

            self.fn: Any = stream
        else:

            @rk.resilient(**options)
            @self.slots
            async def astream(start: int = 0) -> AsyncIterator[str]:
                async with contextlib.aclosing(source.astream(start, pause=True)) as items:
                    async for item in items:
                        yield item

            self.fn = astream

    def settled(self) -> tuple[int, int, int]:
        return self.slots.in_use, self.limiter.in_flight, self.breaker.snapshot().probes_in_flight


def run_sync(fn: Any, consumer: tuple[str, int]) -> tuple[str, list[str], Any]:
    mode, limit = consumer
    got: list[str] = []
    gen = fn()
    try:
        for item in gen:
            got.append(item)
            if mode != "all" and len(got) == limit:
                if mode == "close":
                    gen.close()
                    return "close", got, None
                with pytest.raises(Cancelled):
                    gen.throw(Cancelled())
                return "cancel", got, None
    except ScriptedError as exc:
        return "raised", got, exc.category
    return "done", got, None


async def run_async(fn: Any, consumer: tuple[str, int]) -> tuple[str, list[str], Any]:
    mode, limit = consumer
    got: list[str] = []
    agen = fn()

    async def consume() -> tuple[str, list[str], Any]:
        try:
            async for item in agen:
                got.append(item)
                if mode != "all" and len(got) == limit:
                    if mode == "close":
                        await agen.aclose()
                        return "close", got, None
                    task = asyncio.current_task()
                    assert task is not None
                    task.cancel()
        except ScriptedError as exc:
            return "raised", got, exc.category
        return "done", got, None

    task = asyncio.ensure_future(consume())
    try:
        return await task
    except asyncio.CancelledError:
        return "cancel", got, None


@pytest.fixture(autouse=True)
def scripted_map() -> Iterator[None]:
    """Teach classify() about ScriptedError for each test."""
    unregister = rk.register_exception_map(classify_scripted, name="scripted-test")
    yield
    unregister()


@pytest.mark.parametrize("kind", ["generator", "async_generator"])
@settings(max_examples=200, deadline=None)
@given(script=st.lists(events, max_size=6), consumer=consumers)
@example(script=[("cut", 1, ErrorCategory.CONNECTION)] * 5, consumer=("all", 0))
def test_relay_matches_the_model(kind: str, script: list[Any], consumer: tuple[str, int]) -> None:
    """Whatever the cuts, failures and consumer: the caller gets the model's items, in order,
    once each, the call ends as the model says, and every permit and slot comes back."""
    source = Source(*script)
    stack = Stack(source, kind)
    with no_wait():
        if kind == "generator":
            ended, got, category = run_sync(stack.fn, consumer)
        else:

            async def checked() -> tuple[str, list[str], Any]:
                outcome = await run_async(stack.fn, consumer)
                # Checked before the loop closes: no async generator left for its finalizer.
                assert (0, 0, 0) == stack.settled()
                return outcome

            ended, got, category = asyncio.run(checked())
    expected_end, expected_count, expected_category = model(script, consumer)
    assert list(ITEMS[: len(got)]) == got  # never repeats, never skips
    assert (expected_end, expected_count, expected_category) == (ended, len(got), category)
    assert (0, 0, 0) == stack.settled()
    assert source.opened == source.closed
