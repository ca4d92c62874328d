"""Token budgets in RedisStorage: the Lua scripts keep MemoryStorage's arithmetic, shared."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import uuid

import pytest
import redis.asyncio

import resilience_kit as rk
from resilience_kit.storage import MemoryStorage, RedisStorage, Storage
from tests.integration.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.redis]
RATE, CAP = (1.0, 100.0), (10.0, 1000.0)


def test_two_processes_share_one_budget(redis_server: RedisServer) -> None:
    """What one storage took, the other cannot have: it is told to wait and takes nothing."""
    prefix = f"tk-{uuid.uuid4().hex[:8]}"
    clients = [redis_server.client(), redis_server.client()]
    first, second = (RedisStorage(c, prefix=prefix) for c in clients)
    try:
        assert (1.0, 900.0) == first.tokens_take("s", cost=(1.0, 900.0), rate=RATE, cap=CAP).sent
        later = second.tokens_take("s", cost=(1.0, 300.0), rate=RATE, cap=CAP)
        assert later.sent is None
        assert 1.9 < later.wait <= 2.0
        after = first.tokens_take("s", cost=(1.0, 100.0), rate=RATE, cap=CAP)
        assert (2.0, 1000.0) == after.sent  # the refused take left nothing behind
    finally:
        for storage, client in zip((first, second), clients, strict=True):
            storage.close()
            client.close()


def test_async_client_takes_in_redis(redis_server: RedisServer) -> None:
    """The a* twins run the same scripts over redis.asyncio: what they take is in Redis."""

    async def main() -> tuple[float, float]:
        client = redis.asyncio.Redis(port=redis_server.port)
        storage = RedisStorage(client, prefix=prefix)
        try:
            one = await storage.atokens_take("a", cost=(1.0, 900.0), rate=RATE, cap=CAP)
            two = await storage.atokens_take("a", cost=(1.0, 300.0), rate=RATE, cap=CAP)
            await storage.atokens_learn(
                "a", remaining=(9.0, 400.0), age=0.0, sent=(1.0, 900.0), rate=RATE, cap=CAP
            )
            await storage.atokens_settle(
                "a", level=(0.0, -300.0), sent=(0.0, 0.0), rate=RATE, cap=CAP
            )
            assert storage.available
            return one.wait, two.wait
        finally:
            await storage.aclose()
            await client.aclose()

    prefix = f"tk-{uuid.uuid4().hex[:8]}"
    first, second = asyncio.run(main())
    assert 0.0 == first
    assert 1.9 < second <= 2.0
    sync = RedisStorage(redis_server.client(), prefix=prefix)  # another process reads Redis
    try:
        seen = sync.tokens_take("a", cost=(1.0, 100.0), rate=RATE, cap=CAP)
        assert (2.0, 1000.0) == seen.sent  # learned 400, charged 300: 100 left, no more
        assert 0.0 < sync.tokens_take("a", cost=(0.0, 90.0), rate=RATE, cap=CAP).wait
    finally:
        sync.close()


RATE3, CAP3 = (1.0, 100.0, 10.0), (10.0, 1000.0, 100.0)


def take_script(storage: Storage) -> list[tuple[float, tuple[float, ...] | None]]:
    """Takes of three limits: charged whole or not at all, learned and settled."""
    seen: list[tuple[float, tuple[float, ...] | None]] = []
    for cost in ((1.0, 700.0, 50.0), (1.0, 500.0, 20.0), (1.0, 200.0, 60.0), (1.0, 2000.0, 1.0)):
        got = storage.tokens_take("v", cost=cost, rate=RATE3, cap=CAP3)
        seen.append((round(got.wait, 1), got.sent))
    storage.tokens_learn(
        "v", remaining=(8.0, None, 90.0), age=0.0, sent=(1.0, 700.0, 50.0), rate=RATE3, cap=CAP3
    )
    storage.tokens_settle("v", level=(0.0, 100.0, -5.0), sent=(0.0, 0.0, 0.0), rate=RATE3, cap=CAP3)
    got = storage.tokens_take("v", cost=(1.0, 350.0, 80.0), rate=RATE3, cap=CAP3)
    seen.append((round(got.wait, 1), got.sent))
    return seen


def test_take_in_lua_matches_memory_storage(redis_server: RedisServer) -> None:
    """tokens_take/learn/settle keep MemoryStorage's arithmetic for any number of limits."""
    storage = RedisStorage(redis_server.client(), prefix=f"tv-{uuid.uuid4().hex[:8]}")
    try:
        expected = take_script(MemoryStorage())
        assert expected[0] == (0.0, (1.0, 700.0, 50.0))
        assert expected[1][1] is None  # did not fit: nothing taken
        assert expected == take_script(storage)
        assert storage.available
    finally:
        storage.close()


def test_a_cut_while_waiting_leaves_nothing_behind(redis_server: RedisServer) -> None:
    """A caller told to wait holds nothing in Redis: the fleet level never drifts (no pending)."""
    prefix = f"tc-{uuid.uuid4().hex[:8]}"
    one, two = (RedisStorage(redis_server.client(), prefix=prefix) for _ in range(2))
    try:
        assert one.tokens_take("c", cost=(1.0, 900.0), rate=RATE, cap=CAP).sent is not None
        for _ in range(3):  # three callers told to wait, then gone (their process cut off)
            assert one.tokens_take("c", cost=(1.0, 300.0), rate=RATE, cap=CAP).sent is None
        fits = two.tokens_take("c", cost=(1.0, 100.0), rate=RATE, cap=CAP)
        assert fits.wait == 0.0
        assert fits.sent == (2.0, 1000.0)
    finally:
        one.close()
        two.close()


def _tokens(tokens: int, answer: object = None) -> int:
    return tokens


def test_redis_blips_while_callers_wait_do_not_shrink_the_fleet_budget(
    redis_server: RedisServer,
) -> None:
    """Three callers cancelled while Redis is unreachable leave nothing pending in Redis: after an
    answer says the whole budget is back, a call that fits goes out at once."""
    storage = RedisStorage(
        redis_server.client(), prefix=f"tb-{uuid.uuid4().hex[:8]}", op_timeout=0.1,
        retry_interval=0.2,
    )  # fmt: skip
    limiter = rk.TokenLimiter(tpm=1000, rpm=600, storage=storage, cost=_tokens)
    full = {
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": "990",
        "x-ratelimit-reset-tokens": "60ms",
    }
    process = redis_server._proc  # pausing the server is the network cut
    assert process is not None

    @limiter
    async def call(tokens: int, answer: dict[str, str] | None = None) -> int:
        if answer is not None:
            limiter.observe_headers(answer)
        return tokens

    async def main() -> None:
        await call(1000)
        for _ in range(3):
            waiter = asyncio.create_task(call(300))  # 18 s of refill away: it waits
            await asyncio.sleep(0.05)  # a real wait: the caller queues
            os.kill(process.pid, signal.SIGSTOP)
            try:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
            finally:
                os.kill(process.pid, signal.SIGCONT)
            await asyncio.sleep(0.3)  # a real wait: past retry_interval, Redis is asked again
        for _ in range(15):  # the server, again and again: the whole budget is back
            await call(1, full)
        await asyncio.wait_for(call(800), 2.0)  # fits: no wait (not 80 s for pending ghosts)

    try:
        asyncio.run(main())
        assert storage.available
    finally:
        storage.close()
