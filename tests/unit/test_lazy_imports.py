"""The kit imports and classifies without the SDKs, and importing it never loads them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = (
    "openai",
    "anthropic",
    "httpx",
    "httpx2",
    "requests",
    "google",
    "boto3",
    "botocore",
    "urllib3",
)

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
# The testing helpers import no SDK either until a client is asked for.
import resilience_kit.testing  # noqa: E402,F401
results["loaded_after_testing"] = sorted(m for m in sys.modules if m.partition(".")[0] in HIDDEN)
import importlib.util  # noqa: E402
for name in ("openai", "google.genai", "boto3"):
    try:  # find, do not import: the blocker raises on the lookup already
        found = importlib.util.find_spec(name) is not None
    except ImportError:
        results[name + "_importable"] = False
    else:
        results[name + "_importable"] = found
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
    """With every SDK (google-genai, boto3/botocore too) unimportable, import and classify work."""
    result = _run(block=True)
    assert "timeout" == result["timeout"]
    assert "connection" == result["connection"]
    assert "unknown" == result["unknown"]
    assert [] == result["loaded"]
    assert [] == result["loaded_after_testing"]
    assert result["openai_importable"] is False  # the blocker really hid them
    assert result["google.genai_importable"] is False
    assert result["boto3_importable"] is False


def test_import_does_not_load_sdks() -> None:
    """With everything installed, ``import resilience_kit`` plus classify() loads none of them."""
    result = _run(block=False)
    assert [] == result["loaded"]
    assert [] == result["loaded_after_testing"]
    assert result["openai_importable"] is True
    assert result["google.genai_importable"] is True
    assert result["boto3_importable"] is True
