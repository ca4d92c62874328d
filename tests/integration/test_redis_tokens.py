"""Token budgets in RedisStorage: the Lua scripts keep MemoryStorage's arithmetic, shared."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio

from resilience_kit.storage import MemoryStorage, RedisStorage, Storage
from tests.integration.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.redis]
RATE, CAP = (1.0, 100.0), (10.0, 1000.0)


def script(storage: Storage) -> list[object]:
    """One sequence of budget operations; what each step answered."""
    seen: list[object] = []
    first = storage.tokens_reserve("b", cost=(1.0, 700.0), rate=RATE, cap=CAP)
    seen.append((first.wait, first.sent))
    second = storage.tokens_reserve("b", cost=(1.0, 500.0), rate=RATE, cap=CAP)
    seen.append((round(second.wait, 1), second.sent))
    seen.append(storage.tokens_send("b", cost=(1.0, 500.0)))
    storage.tokens_sync("b", remaining=(8.0, None), age=0.0, sent=(1.0, 700.0), rate=RATE, cap=CAP)
    storage.tokens_adjust("b", level=(0.0, 400.0), sent=(0.0, -100.0), rate=RATE, cap=CAP)
    third = storage.tokens_reserve("b", cost=(1.0, 150.0), rate=RATE, cap=CAP)
    seen.append((round(third.wait, 1), third.sent))
    return seen


def test_lua_matches_memory_storage(redis_server: RedisServer) -> None:
    """The same operations give the same waits and counters in Redis and in memory."""
    client = redis_server.client()
    storage = RedisStorage(client, prefix=f"tk-{uuid.uuid4().hex[:8]}")
    try:
        expected = script(MemoryStorage())
        assert expected == script(storage)
        assert storage.available
    finally:
        storage.close()
        client.close()
    assert [(0.0, (1.0, 700.0)), (2.0, None), (2.0, 1200.0)] == expected[:3]


def test_two_processes_share_one_budget(redis_server: RedisServer) -> None:
    """What one storage reserved, the other cannot have."""
    prefix = f"tk-{uuid.uuid4().hex[:8]}"
    clients = [redis_server.client(), redis_server.client()]
    first, second = (RedisStorage(c, prefix=prefix) for c in clients)
    try:
        assert 0.0 == first.tokens_reserve("s", cost=(1.0, 900.0), rate=RATE, cap=CAP).wait
        later = second.tokens_reserve("s", cost=(1.0, 300.0), rate=RATE, cap=CAP)
        assert 1.9 < later.wait <= 2.0
    finally:
        for storage, client in zip((first, second), clients, strict=True):
            storage.close()
            client.close()


def test_async_client_reserves_in_redis(redis_server: RedisServer) -> None:
    """The a* twins run the same scripts over redis.asyncio."""

    async def main() -> tuple[float, float]:
        client = redis.asyncio.Redis(port=redis_server.port)
        storage = RedisStorage(client, prefix=f"tk-{uuid.uuid4().hex[:8]}")
        try:
            one = await storage.atokens_reserve("a", cost=(1.0, 900.0), rate=RATE, cap=CAP)
            two = await storage.atokens_reserve("a", cost=(1.0, 300.0), rate=RATE, cap=CAP)
            await storage.atokens_send("a", cost=(1.0, 300.0))
            assert storage.available
            return one.wait, two.wait
        finally:
            await storage.aclose()
            await client.aclose()

    first, second = asyncio.run(main())
    assert 0.0 == first
    assert 1.9 < second <= 2.0
