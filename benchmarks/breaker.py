"""Closed-path cost per call: ``CircuitBreaker`` vs a bare call, pybreaker and circuitbreaker.

All variants run side by side in one process, interleaved, several repeats; we report the minimum
and median per-call time, the overhead over a bare call, and overhead ratios against pybreaker.
Target: the kit's closed-path overhead at least 2x smaller than pybreaker's.

    python benchmarks/breaker.py [--number 50000] [--repeat 7]

pybreaker has no asyncio support without tornado, so the async table compares the kit with
circuitbreaker only.
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

import circuitbreaker
import pybreaker

import resilience_kit as rk
from benchmarks._timing import interleaved, interleaved_async
from resilience_kit.storage import MemoryStorage

RESULTS = Path(__file__).parent / "results" / "breaker.json"

kit_breaker = rk.CircuitBreaker("bench")
kit_shared = rk.CircuitBreaker("bench-shared", storage=MemoryStorage(), sync_interval=1.0)
kit_ctx = rk.CircuitBreaker("bench-ctx")
py_breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)


def bare(x: int) -> int:
    return x + 1


@kit_breaker
def kit(x: int) -> int:
    return x + 1


@kit_shared
def kit_with_storage(x: int) -> int:
    return x + 1


def kit_with(x: int) -> int:
    with kit_ctx:
        return x + 1


@py_breaker
def with_pybreaker(x: int) -> int:
    return x + 1


@circuitbreaker.circuit(failure_threshold=5, recovery_timeout=30)
def with_circuitbreaker(x: int) -> int:
    return x + 1


async def abare(x: int) -> int:
    return x + 1


@kit_breaker
async def akit(x: int) -> int:
    return x + 1


@circuitbreaker.circuit(failure_threshold=5, recovery_timeout=30)
async def awith_circuitbreaker(x: int) -> int:
    return x + 1


SYNC: dict[str, Callable[[int], Any]] = {
    "bare function": bare,
    "resilience_kit @breaker": kit,
    "resilience_kit shared": kit_with_storage,
    "resilience_kit with": kit_with,
    "pybreaker": with_pybreaker,
    "circuitbreaker": with_circuitbreaker,
}
ASYNC: dict[str, Callable[[int], Any]] = {
    "bare function": abare,
    "resilience_kit @breaker": akit,
    "circuitbreaker": awith_circuitbreaker,
}


def measure_sync(number: int, repeat: int) -> dict[str, list[float]]:
    return interleaved(SYNC, number, repeat)


def measure_async(number: int, repeat: int) -> dict[str, list[float]]:
    return interleaved_async(ASYNC, number, repeat)


def summarize(times: dict[str, list[float]], reference: str) -> dict[str, dict[str, float]]:
    bare_median = statistics.median(times["bare function"])
    ref_overhead = statistics.median(times[reference]) - bare_median
    out = {}
    for name, values in times.items():
        median = statistics.median(values)
        overhead = median - bare_median
        out[name] = {
            "min_us": min(values) * 1e6,
            "median_us": median * 1e6,
            "overhead_us": overhead * 1e6,
            f"overhead_vs_{reference}": overhead / ref_overhead,
        }
    return out


def print_table(title: str, rows: dict[str, dict[str, float]], reference: str) -> None:
    print(f"\n{title}")
    header = f"x {reference} overhead"
    print(f"{'variant':<26}{'min us':>9}{'median us':>11}{'overhead us':>13}{header:>28}")
    for name, row in rows.items():
        print(
            f"{name:<26}{row['min_us']:>9.3f}{row['median_us']:>11.3f}{row['overhead_us']:>13.3f}"
            f"{row[f'overhead_vs_{reference}']:>28.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=50000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=7, help="interleaved repeats")
    args = parser.parse_args()
    sync_rows = summarize(measure_sync(args.number, args.repeat), "pybreaker")
    async_rows = summarize(measure_async(args.number, args.repeat), "circuitbreaker")
    print_table("sync closed path (per call)", sync_rows, "pybreaker")
    print_table("async closed path (per call)", async_rows, "circuitbreaker")
    kit_row, py_row = sync_rows["resilience_kit @breaker"], sync_rows["pybreaker"]
    cheaper = py_row["overhead_us"] / kit_row["overhead_us"]
    print(f"\npybreaker overhead / @breaker overhead (sync, median): {cheaper:.2f}x (target >= 2x)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "breaker",
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "pybreaker": metadata.version("pybreaker"),
                "circuitbreaker": metadata.version("circuitbreaker"),
                "number": args.number,
                "repeat": args.repeat,
                "sync": sync_rows,
                "async": async_rows,
                "pybreaker_overhead_over_kit": cheaper,
                "target_pybreaker_overhead_over_kit": 2.0,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
