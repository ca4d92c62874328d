"""Breakers in two "processes" (two clients, one redis-server) share one circuit."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio

import resilience_kit as rk
from resilience_kit.storage import RedisStorage
from tests.integration.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.redis]
RECOVERY = 0.2  # real seconds: Redis keeps the open time as a key TTL on the server


@pytest.fixture
def stores(redis_server: RedisServer) -> Iterator[list[RedisStorage]]:
    """Two RedisStorage objects on separate clients and one key prefix: two processes."""
    prefix = f"b-{uuid.uuid4().hex[:8]}"
    clients = [redis_server.client() for _ in range(2)]
    made = [RedisStorage(client, prefix=prefix) for client in clients]
    yield made
    for store, client in zip(made, clients, strict=True):
        store.close()
        client.close()


def breaker(store: RedisStorage) -> rk.CircuitBreaker:
    return rk.CircuitBreaker(
        "llm", failure_threshold=2, recovery_timeout=RECOVERY, storage=store, sync_interval=0.0
    )


def fail(b: rk.CircuitBreaker) -> None:
    with pytest.raises(ConnectionError), b:
        raise ConnectionError


def test_trip_probe_and_recovery_are_shared(stores: list[RedisStorage]) -> None:
    """A's trip rejects B's calls; then one probe runs across both, and its success closes both."""
    a, b = (breaker(store) for store in stores)
    fail(a)
    fail(a)
    assert rk.CircuitState.OPEN == b.state
    with pytest.raises(rk.CircuitOpenError), b:
        pass
    time.sleep(RECOVERY)  # a real wait: the open time is a TTL on the server
    assert rk.CircuitState.HALF_OPEN == b.state
    with b, pytest.raises(rk.CircuitOpenError), a:  # B holds the only probe permit
        pass
    assert rk.CircuitState.CLOSED == a.state
    assert rk.CircuitState.CLOSED == b.state


@pytest.fixture
async def astore(redis_server: RedisServer) -> AsyncIterator[RedisStorage]:
    client = redis.asyncio.Redis(port=redis_server.port)
    store = RedisStorage(client, prefix=f"ab-{uuid.uuid4().hex[:8]}")
    yield store
    await store.aclose()
    await client.aclose()


async def test_100_tasks_on_half_open_redis_breaker_send_one_probe(astore: RedisStorage) -> None:
    """On an asyncio Redis client, 100 tasks hitting a half-open breaker send exactly one probe."""
    b = breaker(astore)
    hits = rejected = 0
    all_rejected = asyncio.Event()

    @b
    async def backend() -> None:
        nonlocal hits
        hits += 1
        await asyncio.wait_for(all_rejected.wait(), timeout=5.0)  # hold the only permit
        raise ConnectionError

    async def worker() -> None:
        nonlocal rejected
        try:
            await backend()
        except rk.CircuitOpenError:
            rejected += 1
            if rejected == 99:
                all_rejected.set()
        except ConnectionError:
            pass

    for _ in range(2):
        with pytest.raises(ConnectionError):
            async with b:
                raise ConnectionError
    await asyncio.sleep(RECOVERY)  # a real wait: the open time is a TTL on the server
    await asyncio.gather(*(worker() for _ in range(100)))
    assert 1 == hits
    assert 99 == rejected
    assert rk.CircuitState.OPEN == b.state
