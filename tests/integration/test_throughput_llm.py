"""Throughput tools against real SDK clients and FakeLLMServer on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading

import anthropic
import openai
import pytest

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, Fault, NoWait

pytestmark = pytest.mark.integration

MESSAGES: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def test_one_429_holds_back_the_other_49_threads(
    rk_fake_llm: FakeLLMServer, rk_no_wait: NoWait
) -> None:
    """A 429 with retry-after 5 seen by one of 50 threads: the other 49 send only after 5 s."""
    rk_fake_llm.enqueue(Fault.status(429, headers={"retry-after": "5"}, code="rate_limit_exceeded"))
    gate = rk.RateLimitGate("openai", pace=False)
    first_done = threading.Event()
    errors: list[str] = []

    with rk_fake_llm.openai_client() as client:

        def worker(caller: int) -> None:
            if caller:
                first_done.wait(10)
            try:
                with gate:
                    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            except openai.RateLimitError:
                errors.append("429")
            finally:
                if not caller:
                    first_done.set()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)

    records = rk_fake_llm.requests
    assert ["429"] == errors
    assert 50 == len(records)
    limited_at = records[0].time
    assert 429 == records[0].status
    assert all(200 == r.status and r.time >= limited_at + 5.0 for r in records[1:])
    assert rk_no_wait.sleeps[0] == pytest.approx(5.0, abs=0.1)


async def test_one_429_holds_back_the_other_49_tasks(
    rk_fake_llm: FakeLLMServer, rk_no_wait: NoWait
) -> None:
    """The same with the async anthropic client and 50 tasks on one loop."""
    rk_fake_llm.enqueue(Fault.status(429, headers={"retry-after": "5"}))
    gate = rk.RateLimitGate("anthropic", pace=False)
    first_done = asyncio.Event()

    async with rk_fake_llm.async_anthropic_client() as client:

        async def worker(caller: int) -> str:
            if caller:
                await first_done.wait()
            try:
                async with gate:
                    await client.messages.create(
                        model="claude-haiku-4-5",
                        max_tokens=16,
                        messages=[{"role": "user", "content": "hi"}],
                    )
            except anthropic.RateLimitError:
                return "429"
            finally:
                first_done.set()
            return "ok"

        outcomes = await asyncio.gather(*(worker(n) for n in range(50)))

    records = rk_fake_llm.requests
    assert ["429"] + ["ok"] * 49 == outcomes
    assert 50 == len(records)
    assert all(r.time >= records[0].time + 5.0 for r in records[1:])


def test_resilient_under_a_token_bucket_loses_nothing(rk_no_wait: NoWait) -> None:
    """resilient() with gate and limiter over a 20/s bucket: every call succeeds, few 429s."""
    gate = rk.RateLimitGate("bucket")
    limiter = rk.AdaptiveLimiter(4, 1, 16)
    with FakeLLMServer(rate_limit=(20.0, 5)) as server, server.openai_client() as client:

        @rk.resilient("openai", gate=gate, limiter=limiter)
        def ask(n: int) -> str:
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            return reply.choices[0].message.content or ""

        result = rk.run_batch(ask, range(40), concurrency=8)
        records = server.requests
    assert {"ok": 40} == result.summary()
    limited = sum(r.status == 429 for r in records)
    assert 40 == len(records) - limited
    assert limited <= 20
