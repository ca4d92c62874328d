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


# What a bare ``import resilience_kit`` may load of the kit: the facade and ``_lazy``.
BARE_IMPORT_KIT_MODULES = ["resilience_kit", "resilience_kit._lazy"]
# Costly modules that load on first use only (none of them by a bare import).
ON_FIRST_USE = (
    "asyncio",
    "email",
    "importlib.metadata",
    "pydantic",
    "rich",
    "structlog",
    "tenacity",
    "typing_extensions",
    "resilience_kit._classify._headers",
    "resilience_kit._classify._openai",
    "resilience_kit._classify._anthropic",
    "resilience_kit._classify._google",
    "resilience_kit._classify._bedrock",
)
# The interpreter's own start-up modules aside, a bare import adds at most this many.
BARE_IMPORT_CAP = 40

_LOADS = """
import json, sys
before = set(sys.modules)
{statements}
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _loaded_by(*statements: str) -> list[str]:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and program
        [sys.executable, "-c", _LOADS.format(statements="\n".join(statements))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 0 == completed.returncode, completed.stderr
    loaded: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    return loaded


def _costly(loaded: list[str]) -> list[str]:
    return [m for m in loaded if any(m == f or m.startswith(f + ".") for f in ON_FIRST_USE)]


def test_bare_import_loads_only_the_facade() -> None:
    """``import resilience_kit`` loads two kit modules and none of the costly ones."""
    loaded = _loaded_by("import resilience_kit")
    assert BARE_IMPORT_KIT_MODULES == [m for m in loaded if m.partition(".")[0] == "resilience_kit"]
    assert [] == _costly(loaded)
    assert len(loaded) <= BARE_IMPORT_CAP, loaded


def test_classify_loads_only_the_maps_it_needs() -> None:
    """Classifying a builtin timeout loads no provider map, no header parsing and no asyncio."""
    loaded = _loaded_by(
        "import resilience_kit as rk",
        "assert rk.classify(TimeoutError()).category is rk.ErrorCategory.TIMEOUT",
        "assert rk.classify(ConnectionResetError()).retryable",
    )
    assert [] == _costly(loaded)


def test_version_and_events_load_their_dependencies_on_first_use() -> None:
    """A retried call logs its events without importing structlog (nor rich) when the
    application never did; reading ``__version__`` is what loads ``importlib.metadata``."""
    loaded = _loaded_by(
        "import resilience_kit as rk",
        "from resilience_kit.testing import no_wait",
        "calls = []",
        "@rk.retry('default', max_attempts=2)",
        "def flaky():",
        "    calls.append(1)",
        "    if len(calls) == 1: raise TimeoutError('once')",
        "    return 'ok'",
        "with no_wait(): assert 'ok' == flaky()",
        "assert 2 == len(calls)",
    )
    assert [] == [m for m in loaded if m.partition(".")[0] in {"structlog", "rich"}]
    assert "importlib.metadata" in _loaded_by("import resilience_kit", "resilience_kit.__version__")
