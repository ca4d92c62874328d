"""Import cost: ``import resilience_kit`` vs ``import stamina`` and ``import tenacity``.

Each sample is a fresh interpreter that times one statement with ``time.perf_counter`` (the
interpreter's own start-up is not counted) and reports how many modules it added. The variants run
interleaved, one subprocess each per repeat, so background load spreads over all of them; ratios
compare the minimum of each (the least disturbed sample). Target: ``import resilience_kit`` at most
1.5x ``import stamina``. The kit resolves its public names on first use, so the rows after the bare
import show what a script pays once it touches ``retry`` or ``resilient``.

    python benchmarks/imports.py [--repeat 15] [--baseline OTHER_CHECKOUT]

``--baseline`` adds ``import resilience_kit`` from another checkout (e.g. an older commit
extracted with ``git archive``) to the same interleaved run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "imports.json"
TARGET = 1.5

# Label -> statement; the kit is measured from the checkout this file lives in (first on sys.path).
VARIANTS = {
    "import resilience_kit": "import resilience_kit",
    "import stamina": "import stamina",
    "import tenacity": "import tenacity",
    "rk + first rk.retry": "import resilience_kit; resilience_kit.retry",
    "rk + first rk.resilient": "import resilience_kit; resilience_kit.resilient",
}

_PROGRAM = """
import sys, time
before = len(sys.modules)
start = time.perf_counter()
{statement}
elapsed = time.perf_counter() - start
print(elapsed, len(sys.modules) - before)
"""


def sample(statement: str, root: Path = ROOT) -> tuple[float, int]:
    """Seconds and module count of one *statement* in a fresh interpreter, *root* on its path."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    completed = subprocess.run(  # noqa: S603 - our own interpreter and program
        [sys.executable, "-c", _PROGRAM.format(statement=statement)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seconds, count = completed.stdout.split()
    return float(seconds), int(count)


def measure(repeat: int, baseline: Path | None) -> dict[str, dict[str, float]]:
    variants = {name: (statement, ROOT) for name, statement in VARIANTS.items()}
    if baseline is not None:
        variants["import resilience_kit (baseline)"] = ("import resilience_kit", baseline)
    times: dict[str, list[float]] = {name: [] for name in variants}
    counts: dict[str, int] = {}
    for statement, root in variants.values():  # warm the file system cache and the bytecode
        sample(statement, root)
    for _ in range(repeat):
        for name, (statement, root) in variants.items():
            seconds, counts[name] = sample(statement, root)
            times[name].append(seconds)
    return {
        name: {
            "min_ms": min(values) * 1e3,
            "median_ms": statistics.median(values) * 1e3,
            "modules": counts[name],
        }
        for name, values in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="fresh interpreters per variant")
    parser.add_argument("--baseline", type=Path, help="another checkout to import the kit from")
    args = parser.parse_args()
    baseline = None if args.baseline is None else args.baseline.resolve()
    rows = measure(args.repeat, baseline)
    stamina = rows["import stamina"]
    for row in rows.values():
        row["min_over_stamina"] = row["min_ms"] / stamina["min_ms"]
    print(f"{'statement':<36}{'min ms':>9}{'median ms':>11}{'modules':>9}{'x stamina':>11}")
    for name, row in rows.items():
        print(
            f"{name:<36}{row['min_ms']:>9.1f}{row['median_ms']:>11.1f}{row['modules']:>9.0f}"
            f"{row['min_over_stamina']:>11.2f}"
        )
    kit = rows["import resilience_kit"]
    ratio = kit["min_over_stamina"]
    median_ratio = kit["median_ms"] / stamina["median_ms"]
    print(
        f"\nimport resilience_kit / import stamina: {ratio:.2f}x min, {median_ratio:.2f}x median"
        f" (target <= {TARGET}x)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "imports",
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "stamina": metadata.version("stamina"),
                "tenacity": metadata.version("tenacity"),
                "repeat": args.repeat,
                "baseline": None if baseline is None else str(baseline),
                "imports": rows,
                "kit_over_stamina_min": ratio,
                "kit_over_stamina_median": median_ratio,
                "target_kit_over_stamina": TARGET,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
