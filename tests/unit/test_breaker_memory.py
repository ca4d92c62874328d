"""Breakers used as ``with`` leave nothing behind once they are gone (no state per breaker in
the thread's or task's context)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

import resilience_kit as rk
from tests.unit._breaker_helpers import Clock

COUNT = 20_000

_SCRIPT = textwrap.dedent(
    """
    import asyncio, gc, sys, tracemalloc
    import resilience_kit as rk

    COUNT = int(sys.argv[1])

    def use(count, offset):
        for i in range(count):
            breaker = rk.CircuitBreaker(f"b{offset + i}")
            with breaker:
                pass

    async def ause(count, offset):
        for i in range(count):
            breaker = rk.CircuitBreaker(f"a{offset + i}")
            async with breaker:
                pass
            with breaker:
                pass

    def measure(run):
        run(200, 0)  # warm up: caches, interned names, metrics families
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        run(COUNT, 1000)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return (after - before) / COUNT

    sync = measure(use)
    in_task = measure(lambda count, offset: asyncio.run(ause(count, offset)))
    print(f"{sync:.2f} {in_task:.2f}")
    """
)


def test_twenty_thousand_breakers_used_as_with_retain_nothing() -> None:
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _SCRIPT, str(COUNT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    sync, in_task = (float(part) for part in out.split())
    assert sync <= 10.0, f"{sync:.1f} B retained per breaker used as `with` in a thread"
    assert in_task <= 10.0, f"{in_task:.1f} B retained per breaker used as `async with` in a task"


async def test_with_blocks_of_interleaved_tasks_keep_their_own_permits() -> None:
    """Task A enters, task B enters, A exits first: A is judged on its own start time."""
    clock = Clock()
    breaker = rk.CircuitBreaker(
        "interleaved", failure_threshold=1, slow_call_threshold=5.0, clock=clock
    )
    b_entered, a_done = asyncio.Event(), asyncio.Event()

    async def a() -> None:
        with breaker:  # a sync `with` whose body awaits: other tasks run meanwhile
            await b_entered.wait()
            clock.advance(1.0)
        a_done.set()

    async def b() -> None:
        clock.advance(10.0)
        async with breaker:
            b_entered.set()
            await a_done.wait()

    await asyncio.gather(a(), b())
    assert rk.CircuitState.OPEN == breaker.state  # A took 11 s: slow, a failure


def test_async_with_works_without_an_asyncio_loop() -> None:
    """A coroutine driven by hand (or another event loop) keeps its permit per thread."""
    breaker = rk.CircuitBreaker("by-hand")

    async def use() -> int:
        async with breaker:
            return 1

    with pytest.raises(StopIteration) as stop:
        use().send(None)
    assert 1 == stop.value.value
    assert 1 == breaker.snapshot().calls
