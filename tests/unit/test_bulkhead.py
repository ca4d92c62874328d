"""bulkhead(): the N+1th concurrent call is rejected; slots come back."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from resilience_kit import BulkheadFullError, ConfigurationError, ErrorCategory, bulkhead, classify


def test_n_plus_first_thread_is_rejected() -> None:
    """With 3 slots held by 3 threads, a 4th call raises BulkheadFullError at once."""
    wall = bulkhead(3, name="llm")
    release = threading.Event()
    inside = threading.Semaphore(0)

    def hold() -> None:
        with wall:
            inside.release()
            release.wait(5)

    threads = [threading.Thread(target=hold) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in range(3):
        assert inside.acquire(timeout=5)
    with pytest.raises(BulkheadFullError) as info, wall:
        pass
    release.set()
    for thread in threads:
        thread.join(5)
    assert ("llm", 3) == (info.value.name, info.value.max_concurrent)
    assert ErrorCategory.OVERLOADED == classify(info.value).category
    with wall:
        assert 1 == wall.in_use


async def test_n_plus_first_task_is_rejected() -> None:
    """Async: two tasks hold both slots; the third call is rejected, later ones get in."""
    wall = bulkhead(2)
    release = asyncio.Event()

    @wall
    async def call() -> str:
        await release.wait()
        return "ok"

    holders = [asyncio.create_task(call()) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(BulkheadFullError):
        await call()
    release.set()
    assert ["ok", "ok"] == await asyncio.gather(*holders)
    assert "ok" == await call()


def test_max_wait_waits_for_a_free_slot() -> None:
    """With max_wait a full bulkhead admits the caller once a slot frees up."""
    wall = bulkhead(1, max_wait=5.0)
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with wall:
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    assert entered.wait(5)
    threading.Timer(0.01, release.set).start()
    with wall:
        assert 1 == wall.in_use
    thread.join(5)


async def test_async_max_wait_times_out() -> None:
    """A waiting task gives up after max_wait."""
    wall = bulkhead(1, max_wait=0.01)
    async with wall:
        with pytest.raises(BulkheadFullError):
            async with wall:
                pass
    assert 0 == wall.in_use


def test_generator_holds_its_slot_until_exhausted() -> None:
    """A generator keeps its slot while it streams and frees it at the end."""
    wall = bulkhead(1)

    @wall
    def stream() -> Iterator[int]:
        yield 1
        yield 2

    items = stream()
    assert 1 == next(items)
    with pytest.raises(BulkheadFullError), wall:
        pass
    assert [2] == list(items)
    assert 0 == wall.in_use


async def test_async_generator_holds_its_slot() -> None:
    """An async generator keeps its slot while it streams."""
    wall = bulkhead(1)

    @wall
    async def stream() -> AsyncIterator[int]:
        yield 1
        yield 2

    assert [1, 2] == [item async for item in stream()]
    assert 0 == wall.in_use


async def test_async_generator_forwards_asend_athrow_and_closes_early() -> None:
    """A guarded async stream gets asend values and thrown exceptions; aclose() closes the
    inner stream at once and frees the slot."""
    wall = bulkhead(1)
    closed: list[bool] = []

    @wall
    async def echo() -> AsyncIterator[object]:
        try:
            received: object = yield "ready"
            while True:
                try:
                    received = yield f"got {received}"
                except KeyError:  # noqa: PERF203 - the stream under test
                    received = "handled"
        finally:
            closed.append(True)

    items = echo()
    assert "ready" == await items.__anext__()
    assert 1 == wall.in_use
    assert "got hello" == await items.asend("hello")
    assert "got handled" == await items.athrow(KeyError("x"))
    await items.aclose()
    assert [True] == closed
    assert 0 == wall.in_use


def test_slot_is_freed_when_the_call_fails() -> None:
    """An exception inside frees the slot."""
    wall = bulkhead(1)

    @wall
    def boom() -> None:
        raise ValueError("x")

    with pytest.raises(ValueError, match="x"):
        boom()
    assert 0 == wall.in_use


@pytest.mark.parametrize(
    ("args", "field"),
    [((0,), "max_concurrent"), ((1.5,), "max_concurrent"), ((2, -1.0), "max_wait")],
)
def test_bad_config_names_the_field(args: tuple[object, ...], field: str) -> None:
    """Invalid settings fail at construction, naming the field."""
    with pytest.raises(ConfigurationError) as info:
        bulkhead(*args)  # type: ignore[arg-type]
    assert field == info.value.field
