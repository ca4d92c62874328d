"""No process-wide growth per tool: gates, limiters and bulkheads used once each and dropped
leave nothing behind (in the thread's context, in tasks, in module state)."""

from __future__ import annotations

import asyncio
import gc
import threading
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

import resilience_kit as rk
from resilience_kit._throughput._gate import _SENT

COUNT = 20_000
BUDGET = 10  # bytes retained per tool, at most


def _retained(use: Callable[[], None], count: int = COUNT) -> float:
    """Bytes still allocated per *use()* after *count* uses and a collection."""
    for _ in range(100):  # warm up: caches, interned strings, first-use imports
        use()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(count):
            use()
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return grown / count


def _gate_with() -> None:
    with rk.RateLimitGate("memory"):
        pass


def _limiter_with() -> None:
    with rk.AdaptiveLimiter(initial=2, min=1, max=4):
        pass


def _bulkhead_with() -> None:
    with rk.bulkhead(2):
        pass


def _decorated() -> None:
    gate = rk.RateLimitGate("memory")
    limiter = rk.AdaptiveLimiter(initial=2, min=1, max=4)
    pool = rk.bulkhead(2)

    @gate
    @limiter
    @pool
    def ask() -> int:
        return 1

    assert 1 == ask()


@pytest.mark.parametrize("use", [_gate_with, _limiter_with, _bulkhead_with])
def test_tools_used_once_retain_nothing(use: Callable[[], None]) -> None:
    """20,000 gates, limiters or bulkheads used once each as ``with`` retain at most 10 B each."""
    assert _retained(use) <= BUDGET


def test_decorations_used_once_retain_nothing() -> None:
    """5,000 functions decorated with a fresh gate, limiter and bulkhead, called once each."""
    assert _retained(_decorated, COUNT // 4) <= BUDGET


def test_async_tools_used_once_retain_nothing() -> None:
    """The same through ``async with`` and decorated ``async def`` in tasks of one loop."""

    async def use() -> None:
        gate = rk.RateLimitGate("memory")
        pool = rk.bulkhead(1)

        @gate
        @pool
        async def ask() -> int:
            return 1

        async with rk.AdaptiveLimiter(initial=1, min=1, max=2):
            assert 1 == await asyncio.ensure_future(ask())

    loop = asyncio.new_event_loop()
    try:
        assert _retained(lambda: loop.run_until_complete(use()), COUNT // 4) <= BUDGET
    finally:
        loop.close()


def test_gate_entries_of_streams_finished_in_another_thread_do_not_pile_up() -> None:
    """A gated generator started here and finished in another thread exits in another context:
    the entry it left in this thread's context goes away with its gate, so the one ContextVar
    never grows with the number of gates."""

    def use() -> None:
        gate = rk.RateLimitGate("moved")

        @gate
        def stream() -> Iterator[int]:
            yield 1
            yield 2

        items = stream()
        assert 1 == next(items)
        finisher = threading.Thread(target=lambda: list(items))
        finisher.start()
        finisher.join()

    for _ in range(200):
        use()
    assert len(_SENT.get()) <= 1
    assert _retained(use, 2_000) <= BUDGET
