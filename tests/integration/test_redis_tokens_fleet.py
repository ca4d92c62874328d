"""A token budget on RedisStorage over redis.asyncio clients is one budget for the whole fleet."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio

import resilience_kit as rk
from resilience_kit.storage import RedisStorage
from tests.integration.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.redis]


def test_two_async_storages_hold_one_token_budget(redis_server: RedisServer) -> None:
    """Two RedisStorage objects with redis.asyncio clients admit 5 requests a minute in all, not
    5 each."""
    prefix = f"fleet-{uuid.uuid4().hex[:8]}"

    async def main() -> tuple[int, int]:
        clients = [redis.asyncio.Redis(port=redis_server.port) for _ in range(2)]
        storages = [RedisStorage(client, prefix=prefix) for client in clients]
        admitted = 0

        def tool(storage: RedisStorage) -> rk.TokenLimiter:
            return rk.TokenLimiter(
                "fleet",
                rpm=5,
                tpm=100_000,
                period=60.0,
                cost=lambda: 10,
                max_wait=0.0,
                storage=storage,
            )

        async def call() -> str:
            nonlocal admitted
            admitted += 1
            await asyncio.sleep(0)
            return "ok"

        async def attempt(fn: Callable[[], Awaitable[str]]) -> object:
            try:
                return await fn()
            except rk.GateClosedError as exc:
                return exc

        calls = [tool(storage)(call) for storage in storages]
        try:
            # the two processes' callers take turns
            outcomes = [await attempt(calls[i % 2]) for i in range(12)]
        finally:
            for storage, client in zip(storages, clients, strict=True):
                await storage.aclose()
                await client.aclose()
        refused = sum(isinstance(outcome, rk.GateClosedError) for outcome in outcomes)
        assert all(o == "ok" or isinstance(o, rk.GateClosedError) for o in outcomes), outcomes
        return admitted, refused

    admitted, refused = asyncio.run(main())
    assert (5, 7) == (admitted, refused)
