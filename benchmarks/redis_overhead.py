"""Closed-path cost per call: ``CircuitBreaker`` with ``RedisStorage`` vs in-memory storage.

Starts its own redis-server on a free loopback port (no persistence). All variants run side by
side in one process, interleaved, several repeats; we report min and median per-call time, the
overhead over a bare call, and the ratio of each variant's per-call time to the in-memory breaker.
A closed breaker decides locally; it reads the shared record once per ``sync_interval`` (default
1 s), so the Redis round trip is amortized over every call in that interval. The rows with
``sync_interval`` 0.01 and 0 show what a tighter staleness bound costs.

    python benchmarks/redis_overhead.py [--number 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

# Measure the checkout this file lives in, not whichever copy is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import resilience_kit as rk
from benchmarks._timing import interleaved
from resilience_kit.storage import MemoryStorage, RedisStorage
from tests.integration.redis_server import RedisServer

RESULTS = Path(__file__).parent / "results" / "redis_overhead.json"
REFERENCE = "breaker, in-memory"


def bare(x: int) -> int:
    return x + 1


def variants(storage: RedisStorage) -> dict[str, Callable[[int], Any]]:
    def guarded(breaker: rk.CircuitBreaker) -> Callable[[int], Any]:
        return breaker(bare)

    return {
        "bare function": bare,
        REFERENCE: guarded(rk.CircuitBreaker("mem")),
        "breaker, shared MemoryStorage": guarded(
            rk.CircuitBreaker("mem-shared", storage=MemoryStorage(), sync_interval=1.0)
        ),
        "breaker, Redis (sync 1 s)": guarded(
            rk.CircuitBreaker("redis-1", storage=storage, sync_interval=1.0)
        ),
        "breaker, Redis (sync 10 ms)": guarded(
            rk.CircuitBreaker("redis-10ms", storage=storage, sync_interval=0.01)
        ),
        "breaker, Redis (sync 0)": guarded(
            rk.CircuitBreaker("redis-0", storage=storage, sync_interval=0.0)
        ),
    }


def measure(fns: dict[str, Callable[[int], Any]], number: int, repeat: int) -> dict[str, Any]:
    times = interleaved(fns, number, repeat)
    bare_median = statistics.median(times["bare function"])
    ref_median = statistics.median(times[REFERENCE])
    out = {}
    for name, values in times.items():
        median = statistics.median(values)
        out[name] = {
            "min_us": min(values) * 1e6,
            "median_us": median * 1e6,
            "overhead_us": (median - bare_median) * 1e6,
            "per_call_vs_in_memory": median / ref_median,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved repeats")
    args = parser.parse_args()
    server = RedisServer()
    server.start()
    client = server.client()
    storage = RedisStorage(client, prefix="bench")
    try:
        rows = measure(variants(storage), args.number, args.repeat)
    finally:
        storage.close()
        client.close()
        server.close()
    print(f"\n{'variant':<32}{'min us':>9}{'median us':>11}{'overhead us':>13}{'x in-memory':>13}")
    for name, row in rows.items():
        print(
            f"{name:<32}{row['min_us']:>9.3f}{row['median_us']:>11.3f}"
            f"{row['overhead_us']:>13.3f}{row['per_call_vs_in_memory']:>13.2f}"
        )
    ratio = rows["breaker, Redis (sync 1 s)"]["per_call_vs_in_memory"]
    shared = ratio / rows["breaker, shared MemoryStorage"]["per_call_vs_in_memory"]
    print(f"\nper-call time, Redis (sync_interval 1 s) / in-memory (median): {ratio:.2f}x")
    print(f"per-call time, Redis (sync_interval 1 s) / shared MemoryStorage: {shared:.2f}x")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "redis_overhead",
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "redis_py": metadata.version("redis"),
                "number": args.number,
                "repeat": args.repeat,
                "rows": rows,
                "redis_over_in_memory": ratio,
                "redis_over_shared_memory": shared,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
