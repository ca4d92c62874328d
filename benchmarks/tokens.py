"""Tokens goodput of the token limiter on every workload x header set x bucket x mode, with a
header-reading reference pacer (and, on request, the usual retry clients) measured side by side.

A FakeLLMServer process (``RateLimits``, a 6 s period: a minute scaled down tenfold; 600
requests and 60,000 tokens per period; Anthropic also 20,000 output tokens; 20-80 ms latency)
answers with one header set: OpenAI's full set, Azure OpenAI's remaining-only set, or Anthropic's
split input/output set, and charges as that provider does (``testing/_limits.py``). Workloads:
``today`` (5/4 x ``--requests``: lognormal prompts with a 10x spread, ``max_tokens`` equal to the
prompt, the fake's short fixed answer) and ``chat`` (``--requests``: prompts of 10-80 tokens,
``max_tokens=256``, each answer using a seeded uniform share of it, ``OutputShare(0, 1)``).
Which limit binds: OpenAI and Azure, tokens (a request counts prompt + ``max_tokens``; ``chat``
keeps it bound for about three periods, 19 s on the full bucket); Anthropic, requests on
``today`` (prompts alone fit the input limit) and output tokens on ``chat`` (about 25 s).
Buckets: ``full`` (the whole period) and ``tight`` (0.6 s of quota). Modes: ``threads`` (64),
``async`` (256 asyncio tasks), ``redis`` (4 processes x 16 threads sharing one ``RedisStorage``
budget), and ``unshared`` (the same, each process on its own) for the kit: ``TokenLimiter()``
learning from headers via ``rk.observe`` in ``rk.resilient(provider, tokens=...)``; ``pacer``, the
reference (64 threads): waits while the last answer's remaining of a token limit (tokens;
Anthropic's input and output tokens), less what it sent since, does not cover a call, sends one call
at a time while no answer has said what is left, and sleeps a 429's ``retry-after-ms``; and, not run
by default, ``sdk`` (the SDK's own ``max_retries=2``), ``tenacity``
(``wait_random_exponential(min=1, max=60)``, 6 attempts), ``stamina`` (its defaults) and
``cookbook`` (a declared-limit capacity tracker in the style of the OpenAI cookbook's parallel
processor; a 429 pauses everyone for 1.5 s), 64 threads each.

Columns: goodput = what the server admitted for successful requests / (bucket + refill x elapsed)
against the binding limit (the most used of requests, tokens and Anthropic's output tokens, as the
answers used them); 429 share of all answers; requests lost (retries ran out, or the call was
refused; the exception types are printed and in the JSON). Kit modes: the median of ``--runs``; the
other modes one run. JSON in ``benchmarks/results/tokens.json``.

    python benchmarks/tokens.py [--requests 800] [--runs 3] [--workloads today,chat]
        [--headers openai,azure,anthropic] [--buckets full,tight]
        [--modes threads,async,redis,pacer] (also: unshared,sdk,tenacity,stamina,cookbook)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import platform
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

# Measure the checkout this file lives in, not whichever copy is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import resilience_kit as rk
from benchmarks._harness import (
    MODEL,
    PERIOD,
    RATE_LIMITED,
    RPM,
    TPM,
    Item,
    LimitServer,
    args_of,
    client_of,
    cookbook_tracker,
    create,
    drive,
    lost,
    plain_tenacity,
    quiet,
    sdk_retries,
    stamina_defaults,
    start_redis,
)
from resilience_kit._classify import parse_go_duration, parse_rfc3339_delay
from resilience_kit.testing import OutputShare, RateLimits

RESULTS = Path(__file__).parent / "results" / "tokens.json"
OTPM = 20_000
DEPTHS = {"full": 6.0, "tight": 0.6}
LATENCY = (0.02, 0.08)
CHAT_SHARE = OutputShare(low=0.0, high=1.0, seed=7)
KIT_MODES = frozenset({"threads", "async", "redis", "unshared"})


def workload(kind: str, requests: int, seed: int = 7) -> list[Item]:
    """(prompt tokens, max_tokens) per request."""
    rng = random.Random(seed)
    if kind == "chat":
        return [(rng.randint(10, 80), 256) for _ in range(requests)]
    sigma = math.log(10) / (2 * 1.645)  # 5th..95th percentile spans 10x
    sizes = [max(5, int(rng.lognormvariate(math.log(60), sigma))) for _ in range(requests)]
    return [(size, size) for size in sizes]


def provider_of(headers: str) -> Literal["openai", "anthropic"]:
    return "anthropic" if headers == "anthropic" else "openai"


# -- the kit ----------------------------------------------------------------------------------
def kit_sync(url: str, headers: str, storage: Any = None) -> Callable[[Item], object]:
    limiter = rk.TokenLimiter(storage=storage)
    send = create(rk.observe(client_of(url, headers), limiter), headers)

    @rk.resilient(provider_of(headers), tokens=limiter, max_attempts=10)
    def ask(**kwargs: Any) -> object:
        return send(model=MODEL, **kwargs)

    return lambda item: ask(**args_of(item))


def run_async(url: str, headers: str, items: list[Item]) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        limiter = rk.TokenLimiter()
        client = rk.observe(client_of(url, headers, asynchronous=True), limiter)
        send = create(client, headers)

        @rk.resilient(provider_of(headers), tokens=limiter, max_attempts=10)
        async def ask(**kwargs: Any) -> object:
            return await send(model=MODEL, **kwargs)

        queue = list(reversed(items))
        outcome: dict[str, Any] = {"ok": 0, "lost": 0, "errors": {}}

        async def worker() -> None:
            while queue:
                item = queue.pop()
                try:
                    await ask(**args_of(item))
                except Exception as exc:  # retries ran out: lost
                    lost(outcome, exc)
                else:
                    outcome["ok"] += 1

        await asyncio.gather(*(worker() for _ in range(256)))
        await client.close()
        return outcome

    return asyncio.run(main())


def fleet_worker(url: str, headers: str, items: list[Item], redis_url: str | None,
                 prefix: str, ready: Any, go: Any, out: Any) -> None:  # fmt: skip
    quiet()
    storage = None
    if redis_url is not None:
        import redis

        from resilience_kit.storage import RedisStorage

        storage = RedisStorage(redis.Redis.from_url(redis_url), prefix=prefix)
    call = kit_sync(url, headers, storage)
    ready.put(True)  # noqa: FBT003 - a ready signal
    go.wait()
    out.put(drive(call, items, 16))


def run_fleet(server: LimitServer, headers: str, items: list[Item], redis_url: str | None,
              share: OutputShare | None) -> dict[str, Any]:  # fmt: skip
    ctx = mp.get_context("spawn")
    go, ready, out = ctx.Event(), ctx.Queue(), ctx.Queue()
    prefix = f"tokens-{random.randrange(10**9)}"
    procs = [
        ctx.Process(
            target=fleet_worker,
            args=(server.url, headers, items[i::4], redis_url, prefix, ready, go, out),
        )
        for i in range(4)
    ]
    for proc in procs:
        proc.start()
    for _ in procs:  # every process has imported and built its client
        ready.get()
    server.reset(share)
    start = time.perf_counter()
    go.set()
    results = [out.get() for _ in procs]
    elapsed = time.perf_counter() - start  # from the start signal: process start-up not counted
    for proc in procs:
        proc.join()
    errors: dict[str, int] = {}
    for result in results:
        for name, count in result["errors"].items():
            errors[name] = errors.get(name, 0) + count
    ok, gone = sum(r["ok"] for r in results), sum(r["lost"] for r in results)
    return {"ok": ok, "lost": gone, "errors": errors, "elapsed": elapsed}


# -- the reference pacer ------------------------------------------------------------------------
# (remaining, reset) headers of each token limit the pacer reads
PACED = {
    "tokens": ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
    "input": (
        "anthropic-ratelimit-input-tokens-remaining",
        "anthropic-ratelimit-input-tokens-reset",
    ),
    "output": (
        "anthropic-ratelimit-output-tokens-remaining",
        "anthropic-ratelimit-output-tokens-reset",
    ),
}


class Pacer:
    """The reference: read the last answer's remaining and reset of each token limit; wait
    while one of them, less what was sent since, does not cover a call. While no answer has
    said what is left (at the start, after a wait), one call at a time goes out to ask."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.remaining: dict[str, float] = {}  # per limit, as the last answer said
        self.since: dict[str, float] = {}  # tokens sent since that answer, per limit
        self.reset = 0.1  # seconds until full, as the last answer said
        self.until = 0.0
        self.asking = False  # a call is out to learn what is left

    def take(self, costs: dict[str, float]) -> bool:
        """Wait until the call fits; True when it goes out to ask what is left."""
        while True:
            with self.lock:
                now = time.monotonic()
                if now >= self.until and not (self.asking and not self.remaining):
                    ask = not self.remaining
                    short = [
                        name
                        for name, left in self.remaining.items()
                        if left - self.since.get(name, 0.0) < costs.get(name, 0.0)
                    ]
                    if not short:
                        for name, cost in costs.items():
                            self.since[name] = self.since.get(name, 0.0) + cost
                        self.asking = self.asking or ask
                        return ask
                    # Not enough left: wait for the reset the server announced, then ask again.
                    self.until = now + min(self.reset, 1.0)
                    self.remaining.clear()
                wait = max(self.until - now, 0.001)
            time.sleep(wait)

    def answered(self) -> None:
        """The asking call ended (with an answer or without)."""
        with self.lock:
            self.asking = False

    def learn(self, headers: Any, limited: float | None) -> None:
        with self.lock:
            resets = [0.1]
            for name, (remaining, reset) in PACED.items():
                if remaining in headers:
                    self.remaining[name] = float(headers[remaining])
                    self.since[name] = 0.0
                value = headers.get(reset)
                wait = parse_go_duration(value) if name == "tokens" else parse_rfc3339_delay(value)
                if wait is not None:
                    resets.append(wait)
            self.reset = max(resets)
            if limited is not None:
                self.until = max(self.until, time.monotonic() + limited)


def pacer_sync(url: str, headers: str) -> Callable[[Item], object]:
    client = client_of(url, headers)
    pacer = Pacer()
    raw = (
        client.messages.with_raw_response.create
        if headers == "anthropic"
        else client.chat.completions.with_raw_response.create
    )

    def call(item: Item) -> object:
        prompt, most = item
        costs = (
            {"input": float(prompt), "output": float(most)}
            if headers == "anthropic"
            else {"tokens": float(prompt + most)}
        )
        for _ in range(10):
            asking = pacer.take(costs)
            try:
                answer = raw(model=MODEL, **args_of(item))
                pacer.learn(answer.headers, None)
            except RATE_LIMITED as exc:
                hint = exc.response.headers.get("retry-after-ms")
                wait = float(hint) / 1000 if hint else 1.0
                pacer.learn(exc.response.headers, wait)
                continue
            finally:
                if asking:
                    pacer.answered()
            return answer
        raise RuntimeError("attempts exhausted")

    return call


THREADED: dict[str, Callable[[str, str], Callable[[Item], object]]] = {
    "threads": kit_sync,
    "pacer": pacer_sync,
    "sdk": sdk_retries,
    "tenacity": plain_tenacity,
    "stamina": stamina_defaults,
    "cookbook": cookbook_tracker,
}


# -- one cell -----------------------------------------------------------------------------------
def cell(server: LimitServer, headers: str, mode: str, items: list[Item],
         redis_url: str | None, share: OutputShare | None) -> dict[str, Any]:  # fmt: skip
    server.reset(share)
    start = time.perf_counter()
    if mode in THREADED:
        outcome: dict[str, Any] = dict(drive(THREADED[mode](server.url, headers), items, 64))
    elif mode == "async":
        outcome = dict(run_async(server.url, headers, items))
    else:
        shared = redis_url if mode == "redis" else None
        outcome = run_fleet(server, headers, items, shared, share)
    elapsed = outcome.get("elapsed", time.perf_counter() - start)
    stats = server.stats()
    depth = server.limits.depth or PERIOD
    used = {"tokens": TPM, "requests": RPM, "output": OTPM}
    goodput = max(  # against the binding limit: the one most used
        stats[name] / (limit * depth / PERIOD + limit / PERIOD * elapsed)
        for name, limit in used.items()
    )
    return {
        "goodput": round(min(goodput, 1.0), 4),
        "share_429": round(stats["answered_429"] / max(stats["hits"], 1), 4),
        "lost": outcome["lost"],
        "lost_to": outcome["errors"],
        "elapsed_s": round(elapsed, 2),
        "hits_per_success": round(stats["hits"] / outcome["ok"], 3) if outcome["ok"] else None,
    }


def lost_to(row: dict[str, Any]) -> str:
    errors = row["lost_to"]
    return f" {errors}" if errors else ""


def limits_of(headers: str, bucket: str) -> RateLimits:
    return RateLimits(
        requests=RPM,
        tokens=TPM,
        period=PERIOD,
        depth=DEPTHS[bucket],
        output_tokens=OTPM if headers == "anthropic" else None,
        headers="remaining" if headers == "azure" else "full",
    )


def run_grid(args: argparse.Namespace, redis_url: str | None) -> list[dict[str, Any]]:
    report: list[dict[str, Any]] = []
    modes = args.modes.split(",")
    for headers in args.headers.split(","):
        for bucket in args.buckets.split(","):
            server = LimitServer(limits_of(headers, bucket), LATENCY)
            try:
                for kind in args.workloads.split(","):
                    count = args.requests if kind == "chat" else args.requests * 5 // 4
                    items = workload(kind, count)
                    share = CHAT_SHARE if kind == "chat" else None
                    for mode in modes:
                        runs = args.runs if mode in KIT_MODES else 1
                        got = [
                            cell(server, headers, mode, items, redis_url, share)
                            for _ in range(runs)
                        ]
                        row = sorted(got, key=lambda r: r["goodput"])[len(got) // 2]
                        report.append({"workload": kind, "headers": headers, "bucket": bucket,
                                       "mode": mode, **row, "runs": got})  # fmt: skip
                        print(
                            f"{kind:<6} {headers:<9} {bucket:<5} {mode:<8} goodput "
                            f"{row['goodput']:.3f}  429s {row['share_429']:6.2%}  lost "
                            f"{row['lost']}{lost_to(row)}  ({row['elapsed_s']:.1f}s)"
                            f"  runs {[r['goodput'] for r in got]}",
                            flush=True,
                        )
            finally:
                server.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=800, help="chat requests per run (today's: 5/4 as many)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per kit cell; the median is kept")
    parser.add_argument("--workloads", default="today,chat")
    parser.add_argument("--headers", default="openai,azure,anthropic")
    parser.add_argument("--buckets", default="full,tight")
    parser.add_argument(
        "--modes",
        default="threads,async,redis,pacer",
        help="also: unshared, sdk, tenacity, stamina, cookbook",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args()
    unknown = set(args.modes.split(",")) - KIT_MODES - set(THREADED)
    if unknown:
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    quiet()
    redis_proc, redis_url = start_redis() if "redis" in args.modes.split(",") else (None, None)
    try:
        report = run_grid(args, redis_url)
    finally:
        if redis_proc is not None:
            redis_proc.kill()
    result = {
        "benchmark": "tokens",
        "server": {
            "requests": RPM,
            "tokens": TPM,
            "output_tokens": OTPM,
            "period_s": PERIOD,
            "latency_s": LATENCY,
        },
        "requests": args.requests,
        "runs": args.runs,
        "chat_output_share": [CHAT_SHARE.low, CHAT_SHARE.high],
        "python": platform.python_version(),
        "versions": {name: metadata.version(name) for name in ("openai", "anthropic")},
        "cells": report,
        "median_goodput": statistics.median(r["goodput"] for r in report) if report else None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
