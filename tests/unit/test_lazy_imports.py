"""The kit imports and classifies without the SDKs, and importing it never loads them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = ("openai", "anthropic", "httpx", "httpx2", "requests")

_PROGRAM = """
import importlib.abc, json, sys

HIDDEN = {hidden!r}

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ImportError(f"{{name}} is hidden for this test")
        return None

if {block!r}:
    sys.meta_path.insert(0, Blocker())

import resilience_kit as rk

results = {{
    "timeout": rk.classify(TimeoutError("t")).category.value,
    "connection": rk.classify(ConnectionResetError("c")).category.value,
    "unknown": rk.classify(ValueError("v")).category.value,
    "loaded": sorted(m for m in sys.modules if m.partition(".")[0] in HIDDEN),
}}
try:
    import openai  # noqa: F401
except ImportError:
    results["openai_importable"] = False
else:
    results["openai_importable"] = True
print(json.dumps(results))
"""


def _run(*, block: bool) -> dict[str, object]:
    program = _PROGRAM.format(hidden=HIDDEN, block=block)
    completed = subprocess.run(  # noqa: S603 - our own interpreter and program
        [sys.executable, "-c", program],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 0 == completed.returncode, completed.stderr
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_works_with_sdks_hidden() -> None:
    """With openai, anthropic, httpx, httpx2 and requests unimportable, import and classify work."""
    result = _run(block=True)
    assert "timeout" == result["timeout"]
    assert "connection" == result["connection"]
    assert "unknown" == result["unknown"]
    assert [] == result["loaded"]
    assert result["openai_importable"] is False  # the blocker really hid it


def test_import_does_not_load_sdks() -> None:
    """With everything installed, ``import resilience_kit`` plus classify() loads none of them."""
    result = _run(block=False)
    assert [] == result["loaded"]
    assert result["openai_importable"] is True
