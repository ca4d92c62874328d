"""Async batch with ``arun_batch``: many prompts, bounded concurrency, failed items re-run.

    python examples/async_batch.py

Each call retries on its own (``@retry("batch")``); the batch re-runs items that still failed with
a retryable category at half the concurrency. A billing stop is not retried: it lands in
``result.failures``. Offline, the fake server rate-limits twice and answers one quota error.
"""

from __future__ import annotations

import asyncio

from _local import OPENAI_MODEL, async_openai_client

import resilience_kit as rk
from resilience_kit.testing import Fault

hint = {"retry-after-ms": "100"}
client = async_openai_client(
    Fault.status(429, headers=hint),
    Fault.status(429, headers=hint),
    Fault.status(429, code="insufficient_quota"),
)


@rk.retry("batch")
async def summarize(text: str) -> str:
    reply = await client.chat.completions.create(
        model=OPENAI_MODEL, messages=[{"role": "user", "content": f"Summarize: {text}"}]
    )
    return reply.choices[0].message.content or ""


async def main() -> None:
    docs = [f"document {n}" for n in range(10)]
    result = await rk.arun_batch(summarize, docs, concurrency=4, pause=0.1)
    print(f"succeeded: {len(result.results)} of {len(docs)}")
    for failure in result.failures.values():
        print(f"failed: {failure.item!r} ({failure.classification.category.value})")
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
