"""Goodput under a token-bucket rate limit: SDK retries, tenacity, stamina and resilient().

A FakeLLMServer on 127.0.0.1 admits *rate* requests per second (bucket of *burst*) and answers
429 with ``retry-after``/``retry-after-ms`` (time until the next token) otherwise. 64 worker
threads share a fixed number of chat-completion requests through a real ``openai.OpenAI`` client.
Rows, side by side in one run:

1. the openai SDK's own retries (``max_retries=2``, its defaults),
2. plain tenacity, the cookbook recipe: ``wait_random_exponential(min=1, max=60)``, 6 attempts,
3. stamina's defaults (``@stamina.retry(on=openai.RateLimitError)``),
4. ``rk.resilient("openai", gate=RateLimitGate(...), limiter=AdaptiveLimiter(...))``.

Columns: goodput = successes / (burst + rate * elapsed), the most the server could have admitted
in that time; the share of server answers that were 429; server hits per success; requests lost
(retries exhausted). Target for row 4: goodput >= 0.95 with <= 5% 429s.

    python benchmarks/goodput.py [--requests 600] [--rate 50] [--burst 10] [--workers 64]
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
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
from resilience_kit.testing import FakeLLMServer

RESULTS = Path(__file__).parent / "results" / "goodput.json"
MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]


def run_row(
    server: FakeLLMServer,
    make_call: Callable[[openai.OpenAI], Callable[[], object]],
    *,
    requests: int,
    workers: int,
    rate: float,
    burst: int,
    sdk_retries: int = 0,
) -> dict[str, Any]:
    """Drive *requests* calls from *workers* threads; count what the server saw."""
    server.reset()
    client = server.openai_client(max_retries=sdk_retries, timeout=30.0)
    call = make_call(client)
    next_index = iter(range(requests))
    lock = threading.Lock()
    outcome = {"ok": 0, "lost": 0}

    def worker() -> None:
        while True:
            with lock:
                if next(next_index, None) is None:
                    return
            try:
                call()
            except Exception:  # a request whose retries ran out is lost; count it
                with lock:
                    outcome["lost"] += 1
            else:
                with lock:
                    outcome["ok"] += 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    client.close()
    records = server.requests
    hits = len(records)
    limited = sum(r.status == 429 for r in records)
    return {
        "successes": outcome["ok"],
        "lost": outcome["lost"],
        "elapsed_s": round(elapsed, 3),
        "server_hits": hits,
        "answered_429": limited,
        "goodput": round(outcome["ok"] / (burst + rate * elapsed), 4),
        "share_429": round(limited / hits, 4) if hits else 0.0,
        "hits_per_success": round(hits / outcome["ok"], 3) if outcome["ok"] else None,
    }


def sdk_default(client: openai.OpenAI) -> Callable[[], object]:
    def call() -> object:
        return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    return call


def plain_tenacity(client: openai.OpenAI) -> Callable[[], object]:
    @tenacity.retry(
        wait=tenacity.wait_random_exponential(min=1, max=60),
        stop=tenacity.stop_after_attempt(6),
        retry=tenacity.retry_if_exception_type(openai.RateLimitError),
        reraise=True,
    )
    def call() -> object:
        return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    return call


def stamina_defaults(client: openai.OpenAI) -> Callable[[], object]:
    @stamina.retry(on=openai.RateLimitError)
    def call() -> object:
        return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    return call


def ours(client: openai.OpenAI) -> Callable[[], object]:
    gate = rk.RateLimitGate("goodput")
    limiter = rk.AdaptiveLimiter(initial=4, min=1, max=64)

    @rk.resilient("openai", gate=gate, limiter=limiter)
    def call() -> object:
        return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    return call


ROWS: list[tuple[str, Callable[[openai.OpenAI], Callable[[], object]], int]] = [
    ("openai SDK retries (max_retries=2)", sdk_default, 2),
    ("tenacity wait_random_exponential(1, 60)", plain_tenacity, 0),
    ("stamina defaults", stamina_defaults, 0),
    ('rk.resilient("openai", gate, limiter)', ours, 0),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--only", type=int, default=None, help="run only row N (1-4)")
    args = parser.parse_args()
    # Thousands of retry/gate events would drown the table (and cost time): drop them.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    rows: list[dict[str, Any]] = []
    with FakeLLMServer(rate_limit=(args.rate, args.burst)) as server:
        for number, (label, make_call, sdk_retries) in enumerate(ROWS, start=1):
            if args.only is not None and args.only != number:
                continue
            row = run_row(
                server,
                make_call,
                requests=args.requests,
                workers=args.workers,
                rate=args.rate,
                burst=args.burst,
                sdk_retries=sdk_retries,
            )
            rows.append({"row": number, "client": label, **row})
            print(
                f"{number}. {label:<42} goodput {row['goodput']:.3f}  429s {row['share_429']:6.1%}"
                f"  hits/success {row['hits_per_success']}  lost {row['lost']}"
                f"  ({row['elapsed_s']:.1f}s)",
                flush=True,
            )
    report = {
        "benchmark": "goodput",
        "server": {"rate_per_s": args.rate, "burst": args.burst},
        "requests": args.requests,
        "workers": args.workers,
        "python": platform.python_version(),
        "versions": {
            name: metadata.version(name) for name in ("openai", "tenacity", "stamina", "httpx2")
        },
        "rows": rows,
    }
    if args.only is None:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
