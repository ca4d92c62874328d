"""``python -m resilience_kit presets``: every preset and the retry schedule it produces."""

from __future__ import annotations

import argparse

from resilience_kit._cli._main import command
from resilience_kit._retry._policy import RetryPolicy
from resilience_kit._retry._presets import get_preset, preset_names

__all__ = ["describe_presets"]


def _schedule(policy: RetryPolicy) -> str:
    parts = []
    for attempt in range(1, policy.max_attempts):
        low, high = policy.backoff_range(attempt)
        parts.append(f"{low:g}-{high:g}" if high != low else f"{low:g}")
    return ", ".join(parts) if parts else "(no retries)"


def describe_presets() -> str:
    """A text table: each preset's numbers, wait range per retry and worst-case totals."""
    header = ("preset", "attempts", "deadline", "max hint", "worst backoff", "worst w/ hints")
    rows: list[tuple[str, ...]] = []
    schedules = []
    for name in preset_names():
        policy = get_preset(name)
        rows.append(
            (
                name,
                str(policy.max_attempts),
                "none" if policy.deadline is None else f"{policy.deadline:g}s",
                f"{policy.max_retry_after:g}s" if policy.respect_retry_after else "ignored",
                f"{policy.worst_case_total():g}s",
                f"{policy.worst_case_total(with_hints=True):g}s",
            )
        )
        schedules.append(f"  {name}: {_schedule(policy)}")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append("")
    lines.append("backoff wait range (s) before retry 1, 2, ... (jitter added after the cap):")
    lines.extend(schedules)
    lines.append("")
    lines.append("worst w/ hints: every retry told to wait max hint, cut off by the deadline.")
    return "\n".join(lines)


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Print every retry preset (environment overrides applied) with its wait range per "
        "retry and the worst-case total wait."
    )


@command("presets", "show retry presets and their wait schedules", _configure)
def _presets_command(_args: argparse.Namespace) -> int:
    print(describe_presets())
    return 0
