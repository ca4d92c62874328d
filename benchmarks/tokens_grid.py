"""The token limiter on every workload x header set x bucket x mode, with a reference pacer.

A FakeLLMServer process (``RateLimits``, a 6 s period: a minute scaled down tenfold; 600
requests and 60,000 tokens per period; Anthropic also 20,000 output tokens; 20-80 ms latency)
answers with one header set: OpenAI's full set, Azure OpenAI's remaining-only set, or Anthropic's
split input/output set, and charges as that provider does (``testing/_limits.py``). Workloads:
``today`` (benchmarks/tokens.py's: lognormal prompts, ``max_tokens`` equal to the prompt) and
``chat`` (short prompts of 10-80 tokens, ``max_tokens=256``, the answer uses a few tokens). Buckets:
``full`` (the whole period) and ``tight`` (0.6 s of quota). Modes: 64 threads, 256 asyncio tasks,
4 processes x 16 threads sharing one ``RedisStorage`` budget. Kit rows: ``TokenLimiter()`` learning
from headers via ``rk.observe`` in ``rk.resilient(provider, tokens=...)``; the reference row: a
header-reading pacer (64 threads) that waits while the last answer's remaining, less what it sent
since, does not cover a call, and sleeps a 429's ``retry-after-ms``.

Columns: goodput = what the server admitted for successful requests / (bucket + refill x elapsed)
against the binding limit (the most used of requests, tokens and Anthropic's output tokens, as
the answers used them); 429 share of all answers; requests lost. Kit rows: the median of
``--runs``.

    python benchmarks/tokens_grid.py [--requests 400] [--runs 3] [--workloads today,chat]
        [--headers openai,azure,anthropic] [--buckets full,tight]
        [--modes threads,async,redis,pacer]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anthropic
import openai

import resilience_kit as rk
from benchmarks.tokens import quiet, start_redis
from resilience_kit._classify import parse_go_duration, parse_rfc3339_delay
from resilience_kit.testing import FakeLLMServer, RateLimits
from resilience_kit.testing._handler import prompt_tokens
from resilience_kit.testing._limits import max_output

RESULTS = Path(__file__).parent / "results" / "tokens_grid.json"
PERIOD, RPM, TPM, OTPM = 6.0, 600, 60_000, 20_000
DEPTHS = {"full": 6.0, "tight": 0.6}
LATENCY = (0.02, 0.08)
MODEL = "m"


def serve(conn: Any, depth: float, headers: str) -> None:
    limits = RateLimits(
        requests=RPM,
        tokens=TPM,
        period=PERIOD,
        depth=depth,
        output_tokens=OTPM if headers == "anthropic" else None,
        headers="remaining" if headers == "azure" else "full",
    )
    with FakeLLMServer(limits=limits, latency=LATENCY) as server:
        conn.send(server.url)
        while True:
            command = conn.recv()
            if command == "reset":
                server.reset()
                conn.send(True)  # noqa: FBT003 - the pipe protocol's "done"
            elif command == "stats":
                records = server.requests
                ok = [r for r in records if r.status == 200]
                split = headers == "anthropic"
                tokens = sum(
                    prompt_tokens(dict(r.body)) + (0 if split else max_output(dict(r.body)))
                    for r in ok
                )
                answered = sum(r.status == 429 for r in records)
                used = len(ok) * max(1, len(server.reply.split())) if split else 0
                conn.send(
                    {
                        "hits": len(records),
                        "answered_429": answered,
                        "tokens": tokens,
                        "requests": len(ok),
                        "output": used,
                    }
                )
            else:
                conn.send(True)  # noqa: FBT003 - the pipe protocol's "done"
                return


def workload(kind: str, requests: int, seed: int = 7) -> list[tuple[int, int]]:
    """(prompt tokens, max_tokens) per request."""
    rng = random.Random(seed)
    if kind == "chat":
        return [(rng.randint(10, 80), 256) for _ in range(requests)]
    sigma = math.log(10) / (2 * 1.645)
    sizes = [max(5, int(rng.lognormvariate(math.log(60), sigma))) for _ in range(requests)]
    return [(size, size) for size in sizes]


def args_of(item: tuple[int, int]) -> dict[str, Any]:
    prompt, most = item
    return {"messages": [{"role": "user", "content": "x" * (4 * prompt)}], "max_tokens": most}


def client_of(url: str, headers: str, *, asynchronous: bool = False) -> Any:
    if headers == "anthropic":
        kind: Any = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic
        return kind(base_url=url, api_key="sk-ant-bench", max_retries=0, timeout=60.0)
    kind = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    return kind(base_url=url + "/v1", api_key="sk-bench", max_retries=0, timeout=60.0)


def create(client: Any, headers: str) -> Callable[..., Any]:
    if headers == "anthropic":
        return client.messages.create
    return client.chat.completions.create


def kit_sync(url: str, headers: str, storage: Any = None) -> Callable[[tuple[int, int]], object]:
    limiter = rk.TokenLimiter(storage=storage)
    client = rk.observe(client_of(url, headers), limiter)
    send = create(client, headers)
    provider = "anthropic" if headers == "anthropic" else "openai"

    @rk.resilient(provider, tokens=limiter, max_attempts=10)
    def ask(**kwargs: Any) -> object:
        return send(model=MODEL, **kwargs)

    return lambda item: ask(**args_of(item))


def drive(call: Callable[[tuple[int, int]], object], items: list[tuple[int, int]],
          workers: int) -> dict[str, Any]:  # fmt: skip
    queue = iter(items)
    lock = threading.Lock()
    outcome = {"ok": 0, "lost": 0}

    def worker() -> None:
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            try:
                call(item)
            except Exception:  # retries ran out: lost
                with lock:
                    outcome["lost"] += 1
            else:
                with lock:
                    outcome["ok"] += 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def run_async(url: str, headers: str, items: list[tuple[int, int]]) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        limiter = rk.TokenLimiter()
        client = rk.observe(client_of(url, headers, asynchronous=True), limiter)
        send = create(client, headers)
        provider = "anthropic" if headers == "anthropic" else "openai"

        @rk.resilient(provider, tokens=limiter, max_attempts=10)
        async def ask(**kwargs: Any) -> object:
            return await send(model=MODEL, **kwargs)

        queue = list(reversed(items))
        outcome = {"ok": 0, "lost": 0}

        async def worker() -> None:
            while queue:
                item = queue.pop()
                try:
                    await ask(**args_of(item))
                except Exception:  # retries ran out: lost
                    outcome["lost"] += 1
                else:
                    outcome["ok"] += 1

        await asyncio.gather(*(worker() for _ in range(256)))
        await client.close()
        return outcome

    return asyncio.run(main())


def fleet_worker(url: str, headers: str, items: list[tuple[int, int]], redis_url: str,
                 prefix: str, ready: Any, go: Any, out: Any) -> None:  # fmt: skip
    quiet()
    import redis

    from resilience_kit.storage import RedisStorage

    storage = RedisStorage(redis.Redis.from_url(redis_url), prefix=prefix)
    call = kit_sync(url, headers, storage)
    ready.put(True)  # noqa: FBT003 - a ready signal
    go.wait()
    out.put(drive(call, items, 16))


def run_fleet(url: str, headers: str, items: list[tuple[int, int]], redis_url: str,
              reset: Callable[[], None]) -> dict[str, Any]:  # fmt: skip
    ctx = mp.get_context("spawn")
    go, ready, out = ctx.Event(), ctx.Queue(), ctx.Queue()
    prefix = f"grid-{random.randrange(10**9)}"
    procs = [
        ctx.Process(
            target=fleet_worker,
            args=(url, headers, items[i::4], redis_url, prefix, ready, go, out),
        )
        for i in range(4)
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get()
    reset()
    start = time.perf_counter()
    go.set()
    results = [out.get() for _ in procs]
    elapsed = time.perf_counter() - start  # from the start signal: process start-up not counted
    for proc in procs:
        proc.join()
    ok, lost = sum(r["ok"] for r in results), sum(r["lost"] for r in results)
    return {"ok": ok, "lost": lost, "elapsed": elapsed}


class Pacer:
    """The reference: read the last answer's remaining and reset; wait while they say no."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.remaining: float | None = None
        self.since = 0.0  # tokens sent since that answer
        self.reset = 0.1  # seconds until full, as the last answer said
        self.until = 0.0

    def take(self, cost: float) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                if now >= self.until:
                    if self.remaining is None or self.remaining - self.since >= cost:
                        self.since += cost
                        return
                    # Not enough left: wait for the reset the server announced, then ask again.
                    self.until = now + min(self.reset, 1.0)
                    self.remaining = None
                wait = self.until - now
            time.sleep(max(wait, 0.001))

    def learn(self, headers: Any, limited: float | None) -> None:
        with self.lock:
            names = ("x-ratelimit-remaining-tokens", "anthropic-ratelimit-input-tokens-remaining")
            for name in names:
                if name in headers:
                    self.remaining = float(headers[name])
                    self.since = 0.0
            go = parse_go_duration(headers.get("x-ratelimit-reset-tokens"))
            rfc = parse_rfc3339_delay(headers.get("anthropic-ratelimit-input-tokens-reset"))
            self.reset = go if go is not None else rfc if rfc is not None else 0.1
            if limited is not None:
                self.until = max(self.until, time.monotonic() + limited)


def pacer_sync(url: str, headers: str) -> Callable[[tuple[int, int]], object]:
    client = client_of(url, headers)
    pacer = Pacer()
    raw = (
        client.messages.with_raw_response.create
        if headers == "anthropic"
        else client.chat.completions.with_raw_response.create
    )

    def call(item: tuple[int, int]) -> object:
        prompt, most = item
        cost = prompt + (0 if headers == "anthropic" else most)
        for _ in range(10):
            pacer.take(cost)
            try:
                answer = raw(model=MODEL, **args_of(item))
            except (openai.RateLimitError, anthropic.RateLimitError) as exc:
                hint = exc.response.headers.get("retry-after-ms")
                wait = float(hint) / 1000 if hint else 1.0
                pacer.learn(exc.response.headers, wait)
                continue
            pacer.learn(answer.headers, None)
            return answer
        raise RuntimeError("attempts exhausted")

    return call


def cell(server: Any, headers: str, mode: str, items: list[tuple[int, int]],
         redis_url: str | None, depth: float) -> dict[str, Any]:  # fmt: skip
    server["ask"]("reset")
    start = time.perf_counter()
    if mode == "threads":
        outcome = drive(kit_sync(server["url"], headers), items, 64)
    elif mode == "pacer":
        outcome = drive(pacer_sync(server["url"], headers), items, 64)
    elif mode == "async":
        outcome = run_async(server["url"], headers, items)
    else:
        assert redis_url is not None
        reset = lambda: server["ask"]("reset")  # noqa: E731 - a one-line callback
        outcome = run_fleet(server["url"], headers, items, redis_url, reset)
    elapsed = outcome.get("elapsed", time.perf_counter() - start)
    stats = server["ask"]("stats")
    used = {"tokens": TPM, "requests": RPM, "output": OTPM}
    goodput = max(  # against the binding limit: the one most used
        stats[name] / (limit * depth / PERIOD + limit / PERIOD * elapsed)
        for name, limit in used.items()
    )
    return {
        "goodput": round(min(goodput, 1.0), 4),
        "share_429": round(stats["answered_429"] / max(stats["hits"], 1), 4),
        "lost": outcome["lost"],
        "elapsed_s": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=400, help="chat requests per run (today's: 2.5x as many)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workloads", default="today,chat")
    parser.add_argument("--headers", default="openai,azure,anthropic")
    parser.add_argument("--buckets", default="full,tight")
    parser.add_argument("--modes", default="threads,async,redis,pacer")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    quiet()
    modes = args.modes.split(",")
    redis_proc, redis_url = start_redis() if "redis" in modes else (None, None)
    report: list[dict[str, Any]] = []
    try:
        for headers in args.headers.split(","):
            for bucket in args.buckets.split(","):
                depth = DEPTHS[bucket]
                conn, child = mp.Pipe()
                proc = mp.Process(target=serve, args=(child, depth, headers), daemon=True)
                proc.start()
                url = conn.recv()

                def ask(command: str, conn: Any = conn) -> Any:
                    conn.send(command)
                    return conn.recv()

                server = {"url": url, "ask": ask}
                try:
                    for kind in args.workloads.split(","):
                        count = args.requests * (5 if kind == "today" else 2) // 2
                        items = workload(kind, count)
                        for mode in modes:
                            runs = 1 if mode == "pacer" else args.runs
                            got = [
                                cell(server, headers, mode, items, redis_url, depth)
                                for _ in range(runs)
                            ]
                            row = sorted(got, key=lambda r: r["goodput"])[len(got) // 2]
                            entry = {"workload": kind, "headers": headers, "bucket": bucket,
                                     "mode": mode, **row, "runs": got}  # fmt: skip
                            report.append(entry)
                            print(
                                f"{kind:<6} {headers:<9} {bucket:<5} {mode:<7} goodput "
                                f"{row['goodput']:.3f}  429s {row['share_429']:6.2%}  lost "
                                f"{row['lost']}  ({row['elapsed_s']:.1f}s)"
                                f"  runs {[r['goodput'] for r in got]}",
                                flush=True,
                            )
                finally:
                    ask("stop")
                    proc.join(5)
    finally:
        if redis_proc is not None:
            redis_proc.kill()
    result = {
        "benchmark": "tokens_grid",
        "server": {"requests": RPM, "tokens": TPM, "output_tokens": OTPM, "period_s": PERIOD},
        "requests": args.requests,
        "runs": args.runs,
        "cells": report,
        "median_goodput": statistics.median(r["goodput"] for r in report) if report else None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
