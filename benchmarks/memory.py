"""Memory retained by run-time decorations and short-lived tools, measured with tracemalloc.

Two workloads, each in a fresh interpreter, with metrics on (the default) and off:

- **decorations**: 40,000 functions decorated with ``@retry`` at run time (per tenant, per
  model), each called once (half of them failing once, so tenacity runs) and then dropped;
- **tool sets**: 5,000 short-lived ``CircuitBreaker`` + ``RateLimitGate`` + ``AdaptiveLimiter`` +
  ``RetryBudget`` with unique names, each used for one call and then dropped.

Retained bytes = traced memory after the workload and a full collection, minus the traced memory
before it. A bounded kit retains about nothing per dropped object. Pass ``--tree PATH`` (more than
once) to measure other checkouts side by side, e.g. the commit before a fix:

    git archive <commit> resilience_kit | tar -x -C /tmp/old
    python benchmarks/memory.py --tree /tmp/old --tree .
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

WORKER = r"""
import gc, json, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
import resilience_kit as rk
from resilience_kit import metrics
from resilience_kit.testing import no_wait

if sys.argv[3] == "off":
    metrics.disable()


class Flaky(Exception):
    pass


rk.register_exception_map({Flaky: rk.ErrorCategory.SERVER}, name="bench-flaky")


def decorations(n):
    with no_wait():
        for i in range(n):
            state = {"failed": i % 2 == 1}

            def ask(state=state):
                if not state["failed"]:
                    state["failed"] = True
                    raise Flaky("once")
                return 1

            rk.retry(max_attempts=3)(ask)()


def tool_sets(n):
    for i in range(n):
        breaker = rk.CircuitBreaker(f"tenant-{i}")
        gate = rk.RateLimitGate(f"tenant-{i}")
        limiter = rk.AdaptiveLimiter(name=f"tenant-{i}")
        budget = rk.RetryBudget(name=f"tenant-{i}")

        @rk.retry(budget=budget)
        @limiter
        @gate
        @breaker
        def call():
            return 1

        call()


work = {"decorations": decorations, "tool_sets": tool_sets}[sys.argv[2]]
count = int(sys.argv[4])
work(10)  # warm caches (imports, structlog, tenacity) before measuring
gc.collect()
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
work(count)
gc.collect()
after = tracemalloc.get_traced_memory()[0]
print(json.dumps({"retained": after - before, "count": count}))
"""

WORKLOADS = {"decorations": 40_000, "tool_sets": 5_000}


def measure(tree: Path, workload: str, metrics: str, count: int) -> dict[str, int]:
    out = subprocess.run(  # noqa: S603 - our own interpreter on our own script
        [sys.executable, "-c", WORKER, str(tree), workload, metrics, str(count)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, int] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", type=Path, help="checkout to measure")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the workload sizes")
    parser.add_argument("--only", choices=sorted(WORKLOADS), help="run one workload")
    parser.add_argument("--metrics", choices=["on", "off"], help="only with metrics on or off")
    args = parser.parse_args()
    trees = args.tree or [HERE]
    rows = []
    print(f"{'tree':<40} {'workload':<12} {'metrics':<8} {'retained B':>12} {'B per object':>13}")
    for workload, size in WORKLOADS.items():
        if args.only is not None and workload != args.only:
            continue
        count = max(int(size * args.scale), 1)
        for metrics in ("on", "off") if args.metrics is None else (args.metrics,):
            for tree in trees:
                found = measure(tree.resolve(), workload, metrics, count)
                per = found["retained"] / count
                rows.append({"tree": str(tree), "workload": workload, "metrics": metrics, **found})
                retained = found["retained"]
                print(f"{tree!s:<40} {workload:<12} {metrics:<8} {retained:>12,} {per:>13.1f}")
    results = HERE / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "memory.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
