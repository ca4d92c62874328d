"""A 30 s outage (every request answered 503) in the middle of steady load: retry vs retry+breaker.

A FakeLLMServer on 127.0.0.1 serves 16 worker threads, each calling a real ``openai.OpenAI``
client and pausing 0.1 s between calls. Timeline: 10 s normal, 30 s outage, 15 s normal.
Rows, side by side in one run:

1. ``@rk.retry("openai")`` alone,
2. ``@rk.resilient("openai", breaker=CircuitBreaker(failure_threshold=5, recovery_timeout=5))``.

Reported: server hits during the outage (and the drop of row 2 against row 1, target >= 90%),
and how long after the outage ended the first request succeeded again (target: within one
recovery_timeout). ``--scale 0.25`` shrinks every duration (outage, phases, recovery_timeout)
for a quick run; the retry schedule itself is not scaled, so report full runs.

    python benchmarks/outage.py [--scale 1.0]
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

import structlog

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer

RESULTS = Path(__file__).parent / "results" / "outage.json"
MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]
WORKERS = 16
THINK = 0.1


def run_row(
    server: FakeLLMServer,
    decorate: Callable[[Callable[[], object]], Callable[[], object]],
    *,
    before: float,
    outage: float,
    after: float,
) -> dict[str, Any]:
    """Steady load for before + outage + after seconds; the outage in the middle."""
    server.reset()
    client = server.openai_client(timeout=10.0)

    @decorate
    def call() -> object:
        return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    stop = threading.Event()
    lock = threading.Lock()
    successes: list[float] = []
    failures = 0

    def worker() -> None:
        nonlocal failures
        while not stop.is_set():
            try:
                call()
            except Exception:  # given up or rejected: the load goes on, as a batch job's would
                with lock:
                    failures += 1
            else:
                with lock:
                    successes.append(time.monotonic())
            stop.wait(THINK)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    time.sleep(before)
    outage_start = time.monotonic()
    server.set_outage(503)
    time.sleep(outage)
    server.clear_outage()
    outage_end = time.monotonic()
    time.sleep(after)
    stop.set()
    for thread in threads:
        thread.join()
    client.close()
    records = server.requests
    during = [r for r in records if outage_start <= r.time < outage_end]
    later = [t for t in successes if t >= outage_end]
    steady = [t for t in successes if t < outage_start]
    return {
        "hits_during_outage": len(during),
        "answered_503": sum(r.status == 503 for r in during),
        "first_success_after_outage_s": round(later[0] - outage_end, 3) if later else None,
        "successes_per_s_before": round(len(steady) / before, 1),
        "successes_per_s_after": round(
            len([t for t in later if t >= outage_end + after / 2]) / (after / 2), 1
        ),
        "calls_failed": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    before, outage, after = 10 * args.scale, 30 * args.scale, 15 * args.scale
    recovery = 5.0 * args.scale

    def retry_only(fn: Callable[[], object]) -> Callable[[], object]:
        return rk.retry("openai")(fn)

    def with_breaker(fn: Callable[[], object]) -> Callable[[], object]:
        breaker = rk.CircuitBreaker(
            f"outage-{time.monotonic()}", failure_threshold=5, recovery_timeout=recovery
        )
        return rk.resilient("openai", breaker=breaker)(fn)

    rows: list[dict[str, Any]] = []
    with FakeLLMServer() as server:
        for number, (label, decorate) in enumerate(
            [
                ('rk.retry("openai")', retry_only),
                (f'rk.resilient("openai", breaker; recovery_timeout={recovery:g}s)', with_breaker),
            ],
            start=1,
        ):
            row = run_row(server, decorate, before=before, outage=outage, after=after)
            rows.append({"row": number, "client": label, **row})
            print(
                f"{number}. {label:<55} hits during outage {row['hits_during_outage']:5d}  "
                f"first success after {row['first_success_after_outage_s']}s  "
                f"ok/s before {row['successes_per_s_before']} after {row['successes_per_s_after']}",
                flush=True,
            )
    drop = 1 - rows[1]["hits_during_outage"] / rows[0]["hits_during_outage"]
    recovered = rows[1]["first_success_after_outage_s"]
    print(
        f"breaker cuts outage traffic by {drop:.1%} (target >= 90%); first success "
        f"{recovered}s after the outage (target <= recovery_timeout {recovery:g}s)"
    )
    report = {
        "benchmark": "outage",
        "scale": args.scale,
        "phases_s": {"before": before, "outage": outage, "after": after},
        "workers": WORKERS,
        "think_s": THINK,
        "recovery_timeout_s": recovery,
        "python": platform.python_version(),
        "versions": {name: metadata.version(name) for name in ("openai", "tenacity")},
        "rows": rows,
        "outage_traffic_drop": round(drop, 4),
        "recovered_within_recovery_timeout": recovered is not None and recovered <= recovery,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.scale == 1.0 else f".scale-{args.scale:g}"
    out = RESULTS.with_name(f"outage{suffix}.json")
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
