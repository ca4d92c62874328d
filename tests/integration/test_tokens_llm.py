"""TokenLimiter attached to real SDK clients with observe(): limits learned from every answer."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, RateLimits

pytestmark = pytest.mark.integration
LIMITS = RateLimits(requests=200, tokens=20_000, period=1.0, depth=0.25)


def messages(size: int) -> list[Any]:
    return [{"role": "user", "content": "x" * (4 * size)}]


def test_observe_learns_openai_limits_and_keys_by_identity() -> None:
    """One answer teaches the limits; the key names the provider and a hash, never the API key."""
    limiter = rk.TokenLimiter(period=1.0)
    with FakeLLMServer(limits=LIMITS) as server:
        client = rk.observe(server.openai_client(api_key="sk-secret-value"), limiter, model="m")
        client.chat.completions.create(model="m", messages=messages(10), max_tokens=5)
    assert (200.0, 20_000.0) == limiter.limits
    assert limiter.key.startswith("tokens:openai:")
    assert limiter.key.endswith(":m")
    assert "secret" not in limiter.key


def test_observe_learns_anthropic_limits() -> None:
    """Anthropic's anthropic-ratelimit-* headers teach the same limits."""
    limiter = rk.TokenLimiter(period=1.0)
    with FakeLLMServer(limits=LIMITS) as server:
        client = rk.observe(server.anthropic_client(), limiter)
        client.messages.create(model="c", max_tokens=5, messages=messages(10))
    assert (200.0, 20_000.0) == limiter.limits
    assert limiter.key.startswith("tokens:anthropic:")


def test_threads_stay_under_the_learned_limits() -> None:
    """32 threads through resilient(tokens=...): every call succeeds, few 429s."""
    limiter = rk.TokenLimiter(period=1.0)
    results: list[int] = []
    with FakeLLMServer(limits=LIMITS, latency=(0.005, 0.02)) as server:
        client = rk.observe(server.openai_client(), limiter)

        @rk.resilient("openai", tokens=limiter, max_attempts=10)
        def ask(messages: list[Any], max_tokens: int) -> int:
            reply = client.chat.completions.create(
                model="m", messages=messages, max_tokens=max_tokens
            )
            return reply.usage.total_tokens if reply.usage else 0

        def worker(seed: int) -> None:
            for i in range(8):
                size = 50 + (seed * 37 + i * 91) % 450  # 10x spread of sizes
                results.append(ask(messages=messages(size), max_tokens=size))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        records = server.requests
    limited = sum(r.status == 429 for r in records)
    assert 256 == len(results)
    assert limited <= 0.1 * len(records)


def test_asyncio_tasks_share_the_learned_budget() -> None:
    """64 tasks of an AsyncOpenAI client through the limiter: all succeed, few 429s."""
    limiter = rk.TokenLimiter(period=1.0)

    async def main(server: FakeLLMServer) -> list[int]:
        client = rk.observe(server.async_openai_client(), limiter)

        @rk.resilient("openai", tokens=limiter, max_attempts=10)
        async def ask(messages: list[Any], max_tokens: int) -> int:
            reply = await client.chat.completions.create(
                model="m", messages=messages, max_tokens=max_tokens
            )
            return reply.usage.total_tokens if reply.usage else 0

        try:
            sizes = [50 + (i * 91) % 450 for i in range(192)]
            return await asyncio.gather(
                *(ask(messages=messages(size), max_tokens=size) for size in sizes)
            )
        finally:
            await client.close()

    with FakeLLMServer(limits=LIMITS, latency=(0.005, 0.02)) as server:
        results = asyncio.run(main(server))
        records = server.requests
    limited = sum(r.status == 429 for r in records)
    assert 192 == len(results)
    assert limited <= 0.1 * len(records)


def test_cancelled_waiters_leave_no_gap_and_no_burst() -> None:
    """Queued waiters cancelled: those behind move up, new callers queue behind them, and the
    server (a bucket of one request, ten a second) sees no burst: nothing answered 429."""
    limiter = rk.TokenLimiter(period=1.0)
    seen: list[int] = []

    async def main(server: FakeLLMServer) -> list[int]:
        client = rk.observe(server.async_openai_client(), limiter)

        @limiter
        async def ask() -> int:
            await client.chat.completions.create(model="m", messages=messages(5), max_tokens=5)
            return 1

        try:
            for _ in range(10):  # learn the limits
                await ask()
            seen.append(len(server.requests))
            queued = [asyncio.create_task(ask()) for _ in range(10)]
            await asyncio.sleep(0.05)  # a real wait: let them queue up
            for task in queued[1:6]:
                task.cancel()
            later = [asyncio.create_task(ask()) for _ in range(5)]
            done = await asyncio.gather(*queued, *later, return_exceptions=True)
            return [1 for result in done if result == 1]
        finally:
            await client.close()

    limits = RateLimits(requests=10, period=1.0, depth=0.1)
    with FakeLLMServer(limits=limits, latency=(0.0, 0.005)) as server:
        results = asyncio.run(main(server))
        records = server.requests[seen[0] :]
    assert 10 == len(results)
    assert [] == [r.status for r in records if r.status != 200]


def test_anthropic_output_limit_on_a_tight_bucket_loses_nothing() -> None:
    """256 asyncio tasks, one chat call each (``max_tokens=256``) against Anthropic's split limits
    with a tenth of the output quota as the bucket: the refill is learned from the RFC 3339
    resets, so no waiter is refused and nothing is lost."""
    limits = RateLimits(requests=600, tokens=60_000, output_tokens=20_000, period=6.0, depth=0.6)
    outcome = {"ok": 0, "lost": 0}

    async def main(server: FakeLLMServer) -> None:
        limiter = rk.TokenLimiter()
        client = rk.observe(server.async_anthropic_client(), limiter)

        @rk.resilient("anthropic", tokens=limiter, max_attempts=10)
        async def ask(size: int) -> object:
            return await client.messages.create(model="c", max_tokens=256, messages=messages(size))

        async def one(size: int) -> None:
            try:
                await ask(size)
            except Exception:  # any error is a lost call
                outcome["lost"] += 1
            else:
                outcome["ok"] += 1

        await asyncio.gather(*(one(10 + i % 70) for i in range(256)))
        await client.close()

    with FakeLLMServer(limits=limits, latency=(0.02, 0.08)) as server:
        asyncio.run(main(server))
        rejected = sum(r.status == 429 for r in server.requests)
    assert {"ok": 256, "lost": 0} == outcome
    assert rejected <= 2
