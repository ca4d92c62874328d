"""Tokens goodput under requests + tokens limits: clients side by side in one run.

A FakeLLMServer in its own process enforces provider-style limits (``RateLimits``): 600 requests
and 60,000 tokens per *period*, buckets holding *depth* seconds of quota, refilled continuously, a
request costing its prompt plus ``max_tokens``, OpenAI ``x-ratelimit-*`` headers on every answer
and 429s with a whole-second ``retry-after`` and "Please try again in 500ms". Time is scaled down
tenfold: the period is 6 s instead of a minute, model latency 20-80 ms instead of 200-800 ms, and
the tight bucket holds 0.6 s (a minute's 6 s). Request sizes are lognormal with a 10x spread
(5th to 95th percentile), so the tokens limit binds. Rows, per bucket depth:

1. the openai SDK's own retries (``max_retries=2``), 64 threads,
2. tenacity, the cookbook recipe ``wait_random_exponential(min=1, max=60)``, 6 attempts, 64 threads,
3. stamina's defaults (``@stamina.retry(on=openai.RateLimitError)``), 64 threads,
4. a declared-limit capacity tracker in the style of the OpenAI cookbook's parallel processor
   (told the limits; a 429 pauses everyone for 15 s, scaled to 1.5 s), 64 threads,
5. the kit: ``TokenLimiter`` learning the limits from headers via ``rk.observe``, in
   ``rk.resilient("openai", tokens=...)``, 64 threads,
6. the same on ``AsyncOpenAI`` with 256 tasks,
7. the same in 4 processes x 16 threads, each with its own limiter,
8. the same in 4 processes x 16 threads sharing one ``RedisStorage`` budget.

Columns: tokens goodput = tokens the server admitted for successful requests / (bucket +
tokens per second x elapsed), the most it could have admitted in that time; the share of answers
that were 429; server hits per success; requests lost (retries exhausted); time to finish.
Targets for the kit rows: goodput >= 0.98, <= 0.5% 429s, 0 lost; Redis better than unshared.

    python benchmarks/tokens.py [--requests 2000] [--repeat 1] [--rows 5,6,7,8] [--depths 6,0.6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
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
from typing import Any

# Measure the checkout this file lives in, not whichever copy is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openai
import stamina
import structlog
import tenacity

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, RateLimits
from resilience_kit.testing._handler import prompt_tokens
from resilience_kit.testing._limits import request_cost

RESULTS = Path(__file__).parent / "results" / "tokens.json"
PERIOD = 6.0  # a minute, scaled down tenfold
RPM, TPM = 600, 60_000
LATENCY = (0.02, 0.08)
SIGMA = math.log(10) / (2 * 1.645)  # 5th..95th percentile spans 10x
MEDIAN_TOKENS = 60  # prompt tokens of the median request; max_tokens is the same again
MODEL = "gpt-4o-mini"


def quiet() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))


# -- the server, in a process of its own --------------------------------------------------------
def serve(conn: Any, depth: float) -> None:
    """Run a FakeLLMServer; answer "url", "reset" and "stats" over *conn* until "stop"."""
    limits = RateLimits(requests=RPM, tokens=TPM, period=PERIOD, depth=depth)
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
                tokens = sum(request_cost(dict(r.body), prompt_tokens(dict(r.body))) for r in ok)
                conn.send(
                    {
                        "hits": len(records),
                        "answered_429": sum(r.status == 429 for r in records),
                        "tokens": tokens,
                    }
                )
            else:
                conn.send(True)  # noqa: FBT003 - the pipe protocol's "done"
                return


class Server:
    def __init__(self, depth: float) -> None:
        self.depth = depth
        self.conn, child = mp.Pipe()
        self.proc = mp.Process(target=serve, args=(child, depth), daemon=True)
        self.proc.start()
        self.url: str = self.conn.recv()

    def ask(self, command: str) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def close(self) -> None:
        self.ask("stop")
        self.proc.join(5)


# -- the workload ---------------------------------------------------------------------------
def workload(requests: int, seed: int = 7) -> list[int]:
    rng = random.Random(seed)
    return [
        max(5, int(rng.lognormvariate(math.log(MEDIAN_TOKENS), SIGMA))) for _ in range(requests)
    ]


def call_args(size: int) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "x" * (4 * size)}], "max_tokens": size}


def make_client(url: str, retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=url + "/v1",
        api_key="sk-benchmark",
        max_retries=retries,
        timeout=60.0,
        http_client=openai.DefaultHttpxClient(verify=False),
    )


def drive_threads(call: Callable[[int], object], sizes: list[int], workers: int) -> dict[str, int]:
    items = iter(sizes)
    lock = threading.Lock()
    outcome = {"ok": 0, "lost": 0}

    def worker() -> None:
        while True:
            with lock:
                size = next(items, None)
            if size is None:
                return
            try:
                call(size)
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


# -- the clients ----------------------------------------------------------------------------
def sdk_retries(url: str, _: float) -> Callable[[int], object]:
    client = make_client(url, retries=2)
    return lambda size: client.chat.completions.create(model=MODEL, **call_args(size))


def plain_tenacity(url: str, _: float) -> Callable[[int], object]:
    client = make_client(url)

    @tenacity.retry(
        wait=tenacity.wait_random_exponential(min=1, max=60),
        stop=tenacity.stop_after_attempt(6),
        retry=tenacity.retry_if_exception_type(openai.RateLimitError),
        reraise=True,
    )
    def call(size: int) -> object:
        return client.chat.completions.create(model=MODEL, **call_args(size))

    return call


def stamina_defaults(url: str, _: float) -> Callable[[int], object]:
    client = make_client(url)

    @stamina.retry(on=openai.RateLimitError)
    def call(size: int) -> object:
        return client.chat.completions.create(model=MODEL, **call_args(size))

    return call


class CapacityTracker:
    """The cookbook's bookkeeping: capacities refilled by elapsed time at the declared limits."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = float(RPM)
        self.tokens = float(TPM)
        self.stamp = time.monotonic()
        self.paused_until = 0.0

    def take(self, cost: int) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                elapsed, self.stamp = now - self.stamp, now
                self.requests = min(RPM, self.requests + RPM * elapsed / PERIOD)
                self.tokens = min(TPM, self.tokens + TPM * elapsed / PERIOD)
                wait = self.paused_until - now
                if wait <= 0 and self.requests >= 1 and self.tokens >= cost:
                    self.requests -= 1
                    self.tokens -= cost
                    return
            time.sleep(max(wait, 0.001))  # the cookbook polls every millisecond

    def limited(self) -> None:
        with self.lock:
            self.paused_until = time.monotonic() + 15.0 * PERIOD / 60.0


def cookbook_tracker(url: str, _: float) -> Callable[[int], object]:
    client = make_client(url)
    tracker = CapacityTracker()

    def call(size: int) -> object:
        args = call_args(size)
        cost = math.ceil(len(args["messages"][0]["content"]) / 4) + size
        for _attempt in range(6):
            tracker.take(cost)
            try:
                return client.chat.completions.create(model=MODEL, **args)
            except openai.RateLimitError:
                tracker.limited()
        raise RuntimeError("attempts exhausted")

    return call


def kit_call(client: openai.OpenAI, limiter: rk.TokenLimiter) -> Callable[[int], object]:
    rk.observe(client, limiter)

    @rk.resilient("openai", tokens=limiter, max_attempts=10)
    def ask(messages: list[Any], max_tokens: int) -> object:
        return client.chat.completions.create(model=MODEL, messages=messages, max_tokens=max_tokens)

    return lambda size: ask(**call_args(size))


def kit_threads(url: str, _: float) -> Callable[[int], object]:
    return kit_call(make_client(url), rk.TokenLimiter(period=PERIOD))


# -- the rows -------------------------------------------------------------------------------
def run_threads(server: Server, make: Callable[[str, float], Callable[[int], object]],
                sizes: list[int], workers: int = 64) -> dict[str, Any]:  # fmt: skip
    call = make(server.url, server.depth)
    start = time.perf_counter()
    outcome = drive_threads(call, sizes, workers)
    return {**outcome, "elapsed_s": time.perf_counter() - start}


def run_async(server: Server, sizes: list[int], tasks: int = 256) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        client = openai.AsyncOpenAI(
            base_url=server.url + "/v1",
            api_key="sk-benchmark",
            max_retries=0,
            timeout=60.0,
            http_client=openai.DefaultAsyncHttpxClient(verify=False),
        )
        limiter = rk.TokenLimiter(period=PERIOD)
        rk.observe(client, limiter)

        @rk.resilient("openai", tokens=limiter, max_attempts=10)
        async def ask(messages: list[Any], max_tokens: int) -> object:
            return await client.chat.completions.create(
                model=MODEL, messages=messages, max_tokens=max_tokens
            )

        queue = list(reversed(sizes))
        outcome = {"ok": 0, "lost": 0}

        async def worker() -> None:
            while queue:
                size = queue.pop()
                try:
                    await ask(**call_args(size))
                except Exception:
                    outcome["lost"] += 1
                else:
                    outcome["ok"] += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        elapsed = time.perf_counter() - start
        await client.close()
        return {**outcome, "elapsed_s": elapsed}

    return asyncio.run(main())


def fleet_worker(
    url: str, sizes: list[int], redis_url: str | None, ready: Any, go: Any, out: Any
) -> None:
    quiet()
    storage = None
    if redis_url is not None:
        import redis

        from resilience_kit.storage import RedisStorage

        storage = RedisStorage(redis.Redis.from_url(redis_url), prefix="bench")
    limiter = rk.TokenLimiter(period=PERIOD, storage=storage)
    call = kit_call(make_client(url), limiter)
    ready.put(True)  # noqa: FBT003 - a ready signal
    go.wait()
    outcome: dict[str, Any] = dict(drive_threads(call, sizes, 16))
    outcome["redis_ok"] = storage.available if storage is not None else None
    out.put(outcome)


def run_fleet(server: Server, sizes: list[int], redis_url: str | None) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    ready = ctx.Queue()
    out = ctx.Queue()
    shares = [sizes[i::4] for i in range(4)]
    procs = [
        ctx.Process(target=fleet_worker, args=(server.url, share, redis_url, ready, go, out))
        for share in shares
    ]
    for proc in procs:
        proc.start()
    for _ in procs:  # every process has imported and built its client
        ready.get()
    server.ask("reset")
    start = time.perf_counter()
    go.set()
    results = [out.get() for _ in procs]
    elapsed = time.perf_counter() - start
    for proc in procs:
        proc.join()
    if redis_url is not None and not all(r["redis_ok"] for r in results):
        print("  (a process lost Redis during the run and answered from local state)")
    return {
        "ok": sum(r["ok"] for r in results),
        "lost": sum(r["lost"] for r in results),
        "elapsed_s": elapsed,
    }


ROWS: list[tuple[str, str]] = [
    ("openai SDK retries (max_retries=2), 64 threads", "sdk"),
    ("tenacity wait_random_exponential(1, 60), 64 threads", "tenacity"),
    ("stamina defaults, 64 threads", "stamina"),
    ("cookbook-style capacity tracker (declared limits), 64 threads", "cookbook"),
    ("rk TokenLimiter + observe, 64 threads", "kit"),
    ("rk TokenLimiter + observe, AsyncOpenAI, 256 tasks", "kit-async"),
    ("rk, 4 processes x 16 threads, unshared", "fleet"),
    ("rk, 4 processes x 16 threads, RedisStorage", "fleet-redis"),
]
MAKERS: dict[str, Callable[[str, float], Callable[[int], object]]] = {
    "sdk": sdk_retries,
    "tenacity": plain_tenacity,
    "stamina": stamina_defaults,
    "cookbook": cookbook_tracker,
    "kit": kit_threads,
}


def run_row(kind: str, server: Server, sizes: list[int], redis_url: str | None) -> dict[str, Any]:
    server.ask("reset")
    if kind == "kit-async":
        outcome = run_async(server, sizes)
    elif kind == "fleet":
        outcome = run_fleet(server, sizes, None)
    elif kind == "fleet-redis":
        outcome = run_fleet(server, sizes, redis_url)
    else:
        outcome = run_threads(server, MAKERS[kind], sizes)
    stats = server.ask("stats")
    elapsed = outcome["elapsed_s"]
    possible = TPM * server.depth / PERIOD + TPM / PERIOD * elapsed
    hits = stats["hits"]
    return {
        "successes": outcome["ok"],
        "lost": outcome["lost"],
        "elapsed_s": round(elapsed, 2),
        "server_hits": hits,
        "answered_429": stats["answered_429"],
        "tokens": stats["tokens"],
        "goodput": round(stats["tokens"] / possible, 4),
        "share_429": round(stats["answered_429"] / hits, 4) if hits else 0.0,
        "hits_per_success": round(hits / outcome["ok"], 3) if outcome["ok"] else None,
    }


def start_redis() -> tuple[Any, str]:
    import shutil
    import socket
    import subprocess
    import tempfile

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="rk-bench-redis-")
    binary = shutil.which("redis-server") or "redis-server"
    proc = subprocess.Popen(  # noqa: S603 - the installed redis-server, fixed arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per row; the median is kept")
    parser.add_argument("--rows", default="1,2,3,4,5,6,7,8")
    parser.add_argument("--depths", default="6,0.6", help="bucket depths in seconds")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args()
    quiet()
    rows = [int(n) for n in args.rows.split(",")]
    depths = [float(d) for d in args.depths.split(",")]
    sizes = workload(args.requests)
    redis_proc, redis_url = start_redis() if 8 in rows else (None, None)
    report: list[dict[str, Any]] = []
    try:
        for depth in depths:
            server = Server(depth)
            try:
                for number in rows:
                    label, kind = ROWS[number - 1]
                    runs = [run_row(kind, server, sizes, redis_url) for _ in range(args.repeat)]
                    row = sorted(runs, key=lambda r: r["goodput"])[len(runs) // 2]
                    row["runs"] = [
                        {k: r[k] for k in ("goodput", "share_429", "lost", "elapsed_s")}
                        for r in runs
                    ]
                    report.append({"depth_s": depth, "row": number, "client": label, **row})
                    print(
                        f"depth {depth:>4}s {number}. {label:<62} goodput {row['goodput']:.3f}"
                        f"  429s {row['share_429']:6.1%}  hits/success {row['hits_per_success']}"
                        f"  lost {row['lost']}  ({row['elapsed_s']:.1f}s)"
                        + (
                            f"  [goodput runs {[r['goodput'] for r in runs]}]"
                            if args.repeat > 1
                            else ""
                        ),
                        flush=True,
                    )
            finally:
                server.close()
    finally:
        if redis_proc is not None:
            redis_proc.kill()
    result = {
        "benchmark": "tokens",
        "server": {"requests": RPM, "tokens": TPM, "period_s": PERIOD, "latency_s": LATENCY},
        "requests": args.requests,
        "repeat": args.repeat,
        "median_tokens": MEDIAN_TOKENS,
        "python": platform.python_version(),
        "versions": {
            name: metadata.version(name) for name in ("openai", "tenacity", "stamina", "httpx2")
        },
        "rows": report,
        "median_goodput": statistics.median(r["goodput"] for r in report) if report else None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
