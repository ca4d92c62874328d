"""Every half-open permit comes back: whatever ends the probe, whatever kind of function, private
breaker or shared storage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

import resilience_kit as rk
from resilience_kit.storage import MemoryStorage
from tests.unit._breaker_helpers import Clock
from tests.unit.test_breaker_concurrency import YieldingStorage


class Abort(BaseException):
    """A BaseException that is not an Exception (like KeyboardInterrupt), raised by the probe."""


STORAGES = ["private", "memory", "yielding"]
WAYS = ["sync", "async", "generator", "async_generator", "with", "async_with"]


def tripped(storage: str) -> tuple[rk.CircuitBreaker, Clock]:
    """A breaker (limit: one probe) that is half-open now."""
    clock = Clock()
    storages = {
        "private": None,
        "memory": MemoryStorage(clock=clock),
        "yielding": YieldingStorage(clock=clock),
    }
    breaker = rk.CircuitBreaker(
        "permits",
        failure_threshold=1,
        recovery_timeout=5.0,
        storage=storages[storage],
        clock=clock,
        sync_interval=0.0,
    )
    with pytest.raises(ConnectionError), breaker:
        raise ConnectionError
    clock.advance(5.0)
    return breaker, clock


def probe(
    breaker: rk.CircuitBreaker, way: str, end: BaseException
) -> Callable[[], Awaitable[None]]:
    """One call of *way* through *breaker* that ends by raising *end* inside the call."""

    def body() -> None:
        raise end

    if way == "sync":
        fn = breaker(body)

        async def run_sync() -> None:
            fn()

        return run_sync
    if way == "async":

        @breaker
        async def afn() -> None:
            await asyncio.sleep(0)
            body()

        return afn
    if way == "generator":

        @breaker
        def gen() -> Iterator[int]:
            yield 1
            body()

        async def run_gen() -> None:
            list(gen())

        return run_gen
    if way == "async_generator":

        @breaker
        async def agen() -> AsyncIterator[int]:
            yield 1
            body()

        async def run_agen() -> None:
            async for _ in agen():
                pass

        return run_agen
    if way == "with":

        async def run_with() -> None:
            with breaker:
                body()

        return run_with

    async def run_async_with() -> None:
        async with breaker:
            await asyncio.sleep(0)
            body()

    return run_async_with


@pytest.mark.parametrize("storage", STORAGES)
@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("end", [Abort(), asyncio.CancelledError(), ValueError("ignored")])
async def test_a_probe_ended_by_anything_gives_its_permit_back(
    storage: str, way: str, end: BaseException
) -> None:
    """A probe ended by a BaseException, a cancellation or an ignored error frees its permit."""
    breaker, _ = tripped(storage)
    with pytest.raises(type(end)):
        await probe(breaker, way, end)()
    assert 0 == breaker.snapshot().probes_in_flight
    with breaker:
        pass  # the permit is free: this probe is admitted and closes the circuit
    assert rk.CircuitState.CLOSED == breaker.state


@pytest.mark.parametrize("storage", STORAGES)
async def test_a_stream_closed_early_gives_its_permit_back(storage: str) -> None:
    """A probe stream closed after its first item (sync and async) frees its permit."""
    breaker, _ = tripped(storage)

    @breaker
    def gen() -> Iterator[int]:
        yield 1
        yield 2

    @breaker
    async def agen() -> AsyncIterator[int]:
        yield 1
        yield 2

    stream = gen()
    assert 1 == next(stream)
    stream.close()
    assert 0 == breaker.snapshot().probes_in_flight
    astream = agen()
    assert 1 == await astream.__anext__()
    await astream.aclose()
    assert 0 == breaker.snapshot().probes_in_flight


async def test_a_probe_cancelled_while_awaiting_its_permit_gives_it_back() -> None:
    """Cancelled inside the storage round trip for its permit: the permit still comes back."""
    breaker, _ = tripped("yielding")

    @breaker
    async def call() -> str:
        return "ok"

    for n in range(50):
        task = asyncio.ensure_future(call())
        for _ in range(1 + n % 5):  # cancelled at each of its storage steps in turn
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    for _ in range(10):
        await asyncio.sleep(0)  # the shielded storage steps end in the background
    assert 0 == breaker.snapshot().probes_in_flight
    assert "ok" == await call()
    assert rk.CircuitState.CLOSED == breaker.state
