"""Importing the retry layer does not import pydantic: the policy model loads on first use."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "resilience_kit"

# The retry layer imported on its own (the package's __init__ replaced by a bare package), so the
# check holds whatever the top level imports.
SCRIPT = textwrap.dedent(
    f"""
    import sys, types
    package = types.ModuleType("resilience_kit")
    package.__path__ = [{str(PACKAGE)!r}]
    sys.modules["resilience_kit"] = package
    import resilience_kit._retry as retry
    before = sorted(m for m in sys.modules if m.split(".")[0] == "pydantic")

    @retry.retry("openai", max_attempts=2)
    def ask() -> str:
        return "ok"

    assert ask() == "ok"
    after = "pydantic" in sys.modules
    policy = retry.RetryPolicy
    print(before, after, policy.model_config["frozen"], policy.model_config["extra"])
    """
)


def test_the_retry_layer_loads_pydantic_only_on_first_decoration() -> None:
    """``import resilience_kit._retry`` loads no pydantic; the first decoration does."""
    out = subprocess.run(  # noqa: S603 - our own interpreter and program
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    assert "[] True True forbid" == out.strip()
