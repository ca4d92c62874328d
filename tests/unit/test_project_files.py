"""The README's promises and the CI script stay in step."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.DOTALL)
    assert block is not None, "README must start with a bash block of commands"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_demo_and_test_commands() -> None:
    """The first two README commands run the demo and the tests."""
    demo, tests = _readme_commands()[:2]
    assert demo.endswith("python -m resilience_kit demo")
    assert tests.endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """.ci/run runs the README's test command verbatim, plus ruff and mypy, and stops on failure."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = _readme_commands()[1].split("&&")[-1].strip()
    lines = [line.strip() for line in script.splitlines()]
    assert test_command in lines
    assert "set -euo pipefail" in lines
    for check in ("ruff check .", "ruff format --check .", "mypy"):
        assert check in lines
