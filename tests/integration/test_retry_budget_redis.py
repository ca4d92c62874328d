"""One retry budget for a fleet of ``async def`` callers on a shared Redis."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
import redis.asyncio

import resilience_kit as rk
from resilience_kit.storage import RedisStorage
from resilience_kit.testing import no_wait
from tests.integration.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.redis]


async def _retries(storages: list[RedisStorage]) -> int:
    """Six failing ``async def`` calls per storage, each allowed one retry by its policy."""
    attempts = 0
    for storage in storages:
        budget = rk.RetryBudget(
            ratio=0.0, min_per_second=0.5, window=10.0, name="fleet", storage=storage
        )

        @rk.retry(max_attempts=2, budget=budget)
        async def ask() -> None:
            nonlocal attempts
            attempts += 1
            raise ConnectionError("backend down")

        for _ in range(6):
            with no_wait(), pytest.raises(ConnectionError):
                await ask()
    return attempts - 6 * len(storages)


@pytest.mark.parametrize("client_kind", ["asyncio", "sync"])
async def test_two_storages_hold_one_budget_for_async_callers(
    own_server: RedisServer, client_kind: str
) -> None:
    """min_per_second 0.5 over 10 s: 5 retries fleet-wide, with asyncio or sync clients."""
    prefix = f"budget-{uuid.uuid4().hex[:8]}"
    clients: list[Any] = [
        redis.asyncio.Redis(port=own_server.port)
        if client_kind == "asyncio"
        else redis.Redis(port=own_server.port)
        for _ in range(2)
    ]
    storages = [RedisStorage(c, prefix=prefix) for c in clients]
    try:
        assert 5 == await _retries(storages)
    finally:
        for storage, client in zip(storages, clients, strict=True):
            if client_kind == "asyncio":
                await storage.aclose()
                await client.aclose()
            else:
                storage.close()
                client.close()
