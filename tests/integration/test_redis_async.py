"""Async breakers on redis.asyncio: shared trips, and an outage survived on local state."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import openai
import pytest
import redis.asyncio
from openai.types.chat import ChatCompletionMessageParam
from structlog.testing import capture_logs

import resilience_kit as rk
from resilience_kit.storage import RedisStorage
from resilience_kit.testing import FakeLLMServer, Fault
from tests.integration.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.redis]
SYNC = 0.02
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


@pytest.fixture
async def pair(own_server: RedisServer) -> AsyncIterator[list[RedisStorage]]:
    """Two RedisStorage instances on asyncio clients, one prefix, a server of their own."""
    prefix = f"as-{uuid.uuid4().hex[:8]}"
    clients = [redis.asyncio.Redis(port=own_server.port) for _ in range(2)]
    made = [RedisStorage(c, prefix=prefix, retry_interval=0.1) for c in clients]
    yield made
    for storage, client in zip(made, clients, strict=True):
        await storage.aclose()
        await client.aclose()


def breaker(storage: RedisStorage) -> rk.CircuitBreaker:
    return rk.CircuitBreaker(
        "async", failure_threshold=1, recovery_timeout=30, storage=storage, sync_interval=SYNC
    )


async def fail(item: rk.CircuitBreaker) -> None:
    with pytest.raises(ConnectionError):
        async with item:
            raise ConnectionError("backend down")


async def test_async_trip_reaches_the_other_storage(pair: list[RedisStorage]) -> None:
    """An async breaker's trip is seen by an async breaker on another storage after SYNC."""
    a, b = (breaker(s) for s in pair)
    async with b:
        pass
    await fail(a)
    await asyncio.sleep(SYNC)  # a real wait: past b's staleness bound
    with pytest.raises(rk.CircuitOpenError):
        async with b:
            pass


async def test_sync_reset_on_an_async_client_is_written_back(pair: list[RedisStorage]) -> None:
    """reset() (sync) on an asyncio storage closes locally; the next async sync publishes it."""
    a, b = (breaker(s) for s in pair)
    await fail(a)
    a.reset()
    await asyncio.sleep(SYNC)  # a real wait: a's next call then syncs, after writing back
    async with a:
        pass
    async with b:
        pass
    record = await pair[1].abreaker_load("async")
    assert record is not None
    assert "closed" == record.state


async def test_async_outage_and_recovery(own_server: RedisServer, pair: list[RedisStorage]) -> None:
    """Killed: async calls go on locally with one warning; restarted: the trip is shared."""
    a, b = (breaker(s) for s in pair)
    async with a:
        pass
    own_server.kill()
    with capture_logs() as logs:
        await asyncio.sleep(SYNC)
        async with b:
            pass
        await fail(a)
        with pytest.raises(rk.CircuitOpenError):
            async with a:
                pass
        assert 1.0 == await pair[0].agate_extend("g", 1.0)
        own_server.start()
        await asyncio.sleep(0.12)  # a real wait: past retry_interval
        with pytest.raises(rk.CircuitOpenError):
            async with a:
                pass
        await asyncio.sleep(SYNC)
        with pytest.raises(rk.CircuitOpenError):
            async with b:
                pass
    events = [entry["event"] for entry in logs]
    assert 2 == events.count("storage_unavailable")
    assert 2 == events.count("storage_recovered")
    assert 0.5 < await pair[1].agate_remaining("g") <= 1.0


async def test_async_gates_on_two_storages_hold_one_block(
    pair: list[RedisStorage], rk_fake_llm: FakeLLMServer
) -> None:
    """A 429 seen by an async def call through gate A (storage one) closes gate B (storage two,
    its own asyncio client): B's next async call is refused at once and B reads the block."""
    rk_fake_llm.enqueue(Fault.status(429, headers={"retry-after": "5"}, code="rate_limit_exceeded"))
    gate_a, gate_b = (rk.RateLimitGate("llm", storage=s, pace=False, max_wait=1.0) for s in pair)
    sent: list[str] = []

    async with rk_fake_llm.async_openai_client() as client:

        async def ask(gate: rk.RateLimitGate) -> None:
            @gate
            async def call() -> None:
                sent.append(gate.name)
                await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

            await call()

        with pytest.raises(openai.RateLimitError):
            await ask(gate_a)
        with pytest.raises(rk.GateClosedError) as caught:
            await ask(gate_b)
    assert 1 == len(sent)
    assert 4.0 < caught.value.retry_after <= 5.0
    assert 4.0 < await gate_b.aremaining() <= 5.0


def _gate_call(storage: RedisStorage) -> Awaitable[object]:
    async def call() -> None:
        async with rk.RateLimitGate("sync-client", storage=storage, pace=False):
            pass

    return call()


def _budget_calls(storage: RedisStorage) -> Awaitable[object]:
    async def calls() -> bool:
        await storage.abudget_record_request("sync-client", window=10.0)
        return await storage.abudget_try_retry(
            "sync-client", ratio=0.5, min_per_second=0.0, window=10.0
        )

    return calls()


@pytest.mark.parametrize("operation", [_gate_call, _budget_calls], ids=["gate", "budget"])
async def test_sync_client_never_blocks_the_loop(
    own_server: RedisServer, operation: Callable[[RedisStorage], Awaitable[object]]
) -> None:
    """A gate or budget on a sync redis client used from async code: while Redis holds the
    command, the event loop keeps running other tasks (the round trip runs in a worker thread)."""
    client = own_server.client()
    storage = RedisStorage(client, prefix=f"sy-{uuid.uuid4().hex[:8]}", op_timeout=2.0)
    ticks = 0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    pauser = own_server.client()
    try:
        ticker = asyncio.ensure_future(tick())
        await asyncio.sleep(0)
        before = ticks
        pauser.client_pause(300)  # the server holds every client's command for 0.3 s
        await operation(storage)
        during = ticks - before
        done.set()
        await ticker
    finally:
        pauser.close()
        storage.close()
        client.close()
    assert during > 3
