"""The token-aware batch recipe of docs/batch.md, copied as written, against a FakeLLMServer.

The server enforces 20,000 tokens and 200 requests per 6 s with OpenAI's headers and charges a
request its prompt plus ``max_tokens`` (256 here), whatever the answer uses; 400 documents, 64
workers. The answers are the fake's short fixed reply, or with ``--share LOW,HIGH`` a seeded
uniform share of ``max_tokens`` (``OutputShare``). Prints, per run, the share of answers that were
429 and the documents lost.

    python benchmarks/batch_recipe.py [--runs 5] [--documents 400] [--share 0,1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openai
from openai.types.chat import ChatCompletionMessageParam

import resilience_kit as rk
from benchmarks._harness import quiet
from resilience_kit.testing import FakeLLMServer, OutputShare, RateLimits


def once(documents: int, share: OutputShare | None) -> tuple[float, int]:
    with FakeLLMServer(
        limits=RateLimits(requests=200, tokens=20_000, period=6.0),
        latency=(0.02, 0.08),
        output=share,
    ) as server:
        # -- the recipe, as docs/batch.md writes it (base_url and api_key: the fake server) --
        limits = rk.TokenLimiter()
        client = rk.observe(
            openai.OpenAI(max_retries=0, base_url=server.openai_url, api_key="sk-recipe"), limits
        )

        @rk.resilient("openai", tokens=limits)
        def ask(messages: list[ChatCompletionMessageParam], max_tokens: int = 256) -> str:
            reply = client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, max_tokens=max_tokens
            )
            return reply.choices[0].message.content or ""

        batch: list[list[ChatCompletionMessageParam]] = [
            [{"role": "user", "content": f"Summarize document {n}."}] for n in range(documents)
        ]
        result = rk.run_batch(lambda m: ask(messages=m), batch, concurrency=64)
        # -- end of the recipe --
        records = server.requests
    limited = sum(r.status == 429 for r in records)
    return limited / len(records), len(result.failures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--documents", type=int, default=400)
    parser.add_argument("--share", help="LOW,HIGH: answers use that share of max_tokens")
    args = parser.parse_args()
    share = None
    if args.share:
        low, high = (float(part) for part in args.share.split(","))
        share = OutputShare(low=low, high=high, seed=7)
    quiet()
    shares: list[float] = []
    for run in range(args.runs):
        share429, lost = once(args.documents, share)
        shares.append(share429)
        print(f"run {run + 1}: 429s {share429:.2%}, lost {lost}", flush=True)
    print(f"median 429s {statistics.median(shares):.2%}, max {max(shares):.2%}")


if __name__ == "__main__":
    main()
