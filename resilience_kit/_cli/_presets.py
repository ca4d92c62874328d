"""``resilience-kit presets``: every preset and the retry schedule it produces.

The user's presets come from ``./pyproject.toml`` (``[tool.resilience_kit.presets.NAME]``) when it
has any, or from ``--file PATH``; both commands that show presets (``presets``, ``explain``) load
them the same way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from resilience_kit._cli._command import Command, UsageError
from resilience_kit._retry import (
    BUILTIN_PRESETS,
    RetryPolicy,
    get_preset,
    load_presets,
    preset_names,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["COMMAND", "add_file_option", "describe_presets", "load_user_presets"]

PYPROJECT = Path("pyproject.toml")


def add_file_option(parser: argparse.ArgumentParser) -> None:
    """``--file PATH``: where the user's presets are (default: ./pyproject.toml, if it has any)."""
    parser.add_argument(
        "--file",
        type=Path,
        metavar="PATH",
        help="a TOML file of presets ([presets.NAME] or [tool.resilience_kit.presets.NAME]); "
        "default: ./pyproject.toml when it has [tool.resilience_kit.presets] tables",
    )


def load_user_presets(file: Path | None) -> dict[str, str]:
    """Register the user's presets; returns {preset name: the file it came from}.

    Without *file*, ./pyproject.toml is read when it exists and has presets (anything else in it
    is not our business). A given *file* must load: a missing or invalid one is a usage error.
    """
    if file is None:
        if not PYPROJECT.is_file() or not _has_presets(PYPROJECT):
            return {}
        file = PYPROJECT
    elif not file.is_file():
        raise UsageError(f"--file {file}: no such file")
    return dict.fromkeys(load_presets(file), str(file))


def _has_presets(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read presets from {path}: {exc}") from None
    tool = data.get("tool")
    kit = tool.get("resilience_kit") if isinstance(tool, Mapping) else None
    return isinstance(kit, Mapping) and "presets" in kit


def _schedule(policy: RetryPolicy) -> str:
    parts = []
    for attempt in range(1, policy.max_attempts):
        low, high = policy.backoff_range(attempt)
        parts.append(f"{low:g}-{high:g}" if high != low else f"{low:g}")
    return ", ".join(parts) if parts else "(no retries)"


def describe_presets(origins: Mapping[str, str] | None = None) -> str:
    """A text table: each preset's numbers, wait range per retry and worst-case totals.

    *origins* names the file each user preset came from (built-ins say ``built-in``).
    """
    origins = origins or {}
    header = (
        "preset",
        "from",
        "attempts",
        "deadline",
        "max hint",
        "worst backoff",
        "worst w/ hints",
    )
    rows: list[tuple[str, ...]] = []
    schedules = []
    for name in preset_names():
        policy = get_preset(name)
        origin = "built-in" if name in BUILTIN_PRESETS else origins.get(name, "registered")
        rows.append(
            (
                name,
                origin,
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


def _presets_command(args: argparse.Namespace) -> int:
    origins = load_user_presets(args.file)
    print(describe_presets(origins))
    return 0


COMMAND = Command(
    "presets",
    "show retry presets and their wait schedules",
    "Print every retry preset (built-in, and yours from ./pyproject.toml or --file; "
    "RESILIENCE_KIT_<PRESET>_<FIELD> environment overrides applied) with its wait range per "
    "retry and the worst-case total wait.",
    add_file_option,
    _presets_command,
)
