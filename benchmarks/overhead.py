"""Success-path cost per call: ``@retry`` vs a bare function, bare tenacity and stamina.

All four run side by side in one process, interleaved, several repeats; we report the minimum and
the median per-call time and the ratios. Targets: ``@retry`` at most 1.0x bare ``tenacity.retry``
on the success path and 1.5x on the one-retry path.

    python benchmarks/overhead.py [--number 20000] [--repeat 7]

``@retry`` runs tenacity's own loop (``for attempt in Retrying(...): with attempt:``) with the kit's
strategies; after a success tenacity is not asked again, which bare ``tenacity.retry`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Measure the checkout this file lives in, not whichever copy is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import stamina
import structlog
import tenacity

import resilience_kit as rk
from benchmarks._timing import interleaved, interleaved_async
from resilience_kit.testing import no_wait

RESULTS = Path(__file__).parent / "results" / "overhead.json"


def bare(x: int) -> int:
    return x + 1


@rk.retry("default")
def kit(x: int) -> int:
    return x + 1


# Metrics on vs off: the same decorator built while metrics are disabled carries no metrics code.
rk.metrics.disable()


@rk.retry("default")
def kit_metrics_off(x: int) -> int:
    return x + 1


@rk.retry("default")
async def akit_metrics_off(x: int) -> int:
    return x + 1


rk.metrics.enable()


@tenacity.retry(**rk.tenacity_kwargs("default"))
def plain_tenacity(x: int) -> int:
    return x + 1


@stamina.retry(on=ConnectionError)
def with_stamina(x: int) -> int:
    return x + 1


async def abare(x: int) -> int:
    return x + 1


@rk.retry("default")
async def akit(x: int) -> int:
    return x + 1


@tenacity.retry(**rk.tenacity_kwargs("default", asynchronous=True))
async def aplain_tenacity(x: int) -> int:
    return x + 1


@stamina.retry(on=ConnectionError)
async def awith_stamina(x: int) -> int:
    return x + 1


SYNC: dict[str, Callable[[int], Any]] = {
    "bare function": bare,
    "resilience_kit.retry": kit,
    "tenacity.retry": plain_tenacity,
    "stamina.retry": with_stamina,
}
ASYNC: dict[str, Callable[[int], Any]] = {
    "bare function": abare,
    "resilience_kit.retry": akit,
    "tenacity.retry": aplain_tenacity,
    "stamina.retry": awith_stamina,
}


def measure_sync(number: int, repeat: int) -> dict[str, list[float]]:
    return interleaved(SYNC, number, repeat)


class Flaky:
    """Fails every other call with a retryable error (a connection reset)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, x: int) -> int:
        self.calls += 1
        if self.calls % 2:
            raise ConnectionError("reset")
        return x + 1


def measure_one_retry(number: int, repeat: int) -> dict[str, list[float]]:
    """One failure then success per call, sleeps made instant by no_wait (the retry path).

    Log events are filtered out (as a production log level above INFO/WARNING would), so this
    measures the retry machinery, not structlog's console renderer.
    """
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    variants: dict[str, Callable[[int], Any]] = {
        "resilience_kit.retry": rk.retry("default")(Flaky()),
        "tenacity.retry": tenacity.retry(**rk.tenacity_kwargs("default"))(Flaky()),
    }
    with no_wait():
        return interleaved(variants, number, repeat)


def measure_async(number: int, repeat: int) -> dict[str, list[float]]:
    return interleaved_async(ASYNC, number, repeat)


def measure_metrics(number: int, repeat: int) -> dict[str, dict[str, float]]:
    """``@retry``'s success path with metrics on vs off, sync and async, interleaved.

    Many short interleaved runs; the ratio compares the minimum and the median per-call times.
    """
    rk.metrics.reset()
    pairs: dict[str, tuple[Callable[[int], Any], Callable[[int], Any]]] = {
        "sync": (kit_metrics_off, kit),
        "async": (akit_metrics_off, akit),
    }
    rows: dict[str, dict[str, float]] = {}
    for kind, (off, on) in pairs.items():
        times: dict[str, list[float]] = {"off": [], "on": []}
        for _ in range(repeat * 20):
            for label, fn in (("off", off), ("on", on)):
                times[label].append(_per_call(fn, max(number // 20, 100), kind == "async"))
        off_min, on_min = min(times["off"]), min(times["on"])
        off_med, on_med = statistics.median(times["off"]), statistics.median(times["on"])
        rows[kind] = {
            "off_min_us": off_min * 1e6,
            "on_min_us": on_min * 1e6,
            "off_median_us": off_med * 1e6,
            "on_median_us": on_med * 1e6,
            "ratio_min": on_min / off_min,
            "ratio_median": on_med / off_med,
        }
    snap = rk.metrics.snapshot()
    rows["sync"]["calls_counted"] = snap.function(kit.__qualname__).calls
    return rows


def _per_call(fn: Callable[[int], Any], number: int, is_async: bool) -> float:
    if not is_async:
        return timeit.timeit(lambda: fn(1), number=number) / number

    async def loop() -> float:
        clock = asyncio.get_running_loop().time
        start = clock()
        for _ in range(number):
            await fn(1)
        return (clock() - start) / number

    return asyncio.run(loop())


def print_metrics_table(rows: dict[str, dict[str, float]]) -> None:
    print("\nmetrics on vs off, success path (per call; target on/off <= 1.10)")
    print(f"{'kind':<8}{'off min us':>12}{'on min us':>11}{'x min':>8}{'x median':>10}")
    for kind in ("sync", "async"):
        row = rows[kind]
        print(
            f"{kind:<8}{row['off_min_us']:>12.3f}{row['on_min_us']:>11.3f}"
            f"{row['ratio_min']:>8.3f}{row['ratio_median']:>10.3f}"
        )


def summarize(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    tenacity_min = min(times["tenacity.retry"])
    tenacity_median = statistics.median(times["tenacity.retry"])
    bare_min = min(times.get("bare function", times["tenacity.retry"]))
    out = {}
    for name, values in times.items():
        out[name] = {
            "min_us": min(values) * 1e6,
            "median_us": statistics.median(values) * 1e6,
            "vs_tenacity_min": min(values) / tenacity_min,
            "vs_tenacity_median": statistics.median(values) / tenacity_median,
            "vs_bare_min": min(values) / bare_min,
        }
    return out


def print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(f"{'variant':<22}{'min us':>9}{'median us':>11}{'x tenacity':>12}{'x bare':>9}")
    for name, row in rows.items():
        print(
            f"{name:<22}{row['min_us']:>9.2f}{row['median_us']:>11.2f}"
            f"{row['vs_tenacity_median']:>12.2f}{row['vs_bare_min']:>9.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=7, help="interleaved repeats")
    args = parser.parse_args()
    sync_rows = summarize(measure_sync(args.number, args.repeat))
    async_rows = summarize(measure_async(args.number, args.repeat))
    print_table("sync success path (per call)", sync_rows)
    print_table("async success path (per call)", async_rows)
    retry_rows = summarize(measure_one_retry(max(args.number // 10, 100), args.repeat))
    print_table("one retry per call, no_wait (x bare = x tenacity here)", retry_rows)
    metrics_rows = measure_metrics(args.number, args.repeat)
    print_metrics_table(metrics_rows)
    ratio = sync_rows["resilience_kit.retry"]["vs_tenacity_median"]
    aratio = async_rows["resilience_kit.retry"]["vs_tenacity_median"]
    rratio = retry_rows["resilience_kit.retry"]["vs_tenacity_median"]
    print(f"\n@retry / bare tenacity, success, median: sync {ratio:.2f}x, async {aratio:.2f}x")
    print("(target <= 1.00x)")
    print(f"@retry / bare tenacity, one retry, median: {rratio:.2f}x (target <= 1.50x)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "overhead",
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "tenacity": tenacity.__version__ if hasattr(tenacity, "__version__") else None,
                "number": args.number,
                "repeat": args.repeat,
                "sync": sync_rows,
                "async": async_rows,
                "one_retry": retry_rows,
                "metrics_on_vs_off": metrics_rows,
                "target_metrics_on_vs_off": 1.1,
                "target_vs_tenacity": 1.0,
                "target_one_retry_vs_tenacity": 1.5,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
