"""Every example runs offline (API keys removed) against FakeLLMServer and says what it should."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration

# Example -> lines its output must contain.
EXPECTED: dict[str, list[str]] = {
    "openai_dropin.py": [
        "(offline: OPENAI_API_KEY is not set, using a local FakeLLMServer)",
        "reason=server_hint",
        "answer: Hello from the local FakeLLMServer.",
        "attempts: 2",
    ],
    "anthropic_streaming.py": [
        "category=overloaded",
        "streamed: Hello from the local FakeLLMServer.",
    ],
    "async_batch.py": ["succeeded: 9 of 10", "(quota)"],
    "stream_continuation.py": [
        "responses: Hello from the local FakeLLMServer. [3 cuts; events 0..11, each once: True]",
        "anthropic: Hello from the local FakeLLMServer. [3 cuts]",
        "continued after 6 items",
    ],
    "breaker_fallback.py": [
        "answer 1: Hello from the local FakeLLMServer. [breaker open]",
        "answer 3: Hello from the local FakeLLMServer. [breaker open]",
        "breaker_rejected",
        "openai requests sent: 3",
    ],
    "presets_from_toml.py": [
        "loaded presets: chat, nightly",
        "  chat: max_attempts=2 deadline=10.0",
        "answer: Hello from the local FakeLLMServer.",
    ],
    "test_my_code.py": ["3 passed"],
    "gemini_quota.py": [
        "(offline: GEMINI_API_KEY is not set, using a local FakeLLMServer)",
        "reason=server_hint",
        "wait=0.2",
        "answer: Hello from the local FakeLLMServer.",
        "streamed: Hello from the local FakeLLMServer.",
        "stopped: category=quota retryable=False",
    ],
    "bedrock_converse.py": [
        "(offline: no AWS credentials in the environment, using a local FakeLLMServer)",
        "reason=backoff",
        "answer: Hello from the local FakeLLMServer.",
        "streamed: Hello from the local FakeLLMServer.",
        "stopped: ServiceQuotaExceededException category=quota retryable=False",
    ],
}
_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def _start(name: str) -> subprocess.Popen[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k not in _CREDENTIALS
    }
    env["PYTHONPATH"] = str(ROOT)  # this checkout's package, not an installed copy
    script = str(ROOT / "examples" / name)
    args = ["-m", "pytest", "-q", script] if name.startswith("test_") else [script]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and example files
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """All examples, started together so they overlap."""
    procs = {name: _start(name) for name in EXPECTED}
    yield procs
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_every_example_is_tested() -> None:
    """Each runnable file in examples/ has expectations here."""
    files = {p.name for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_")}
    assert sorted(EXPECTED) == sorted(files)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_offline(name: str, runs: dict[str, subprocess.Popen[str]]) -> None:
    """The example exits 0 and prints its expected lines."""
    out, _ = runs[name].communicate(timeout=180)  # a hang guard: they start together
    assert 0 == runs[name].returncode, out
    missing = [line for line in EXPECTED[name] if line not in out]
    assert [] == missing, out


BLOCK_ANTHROPIC = """
import runpy, sys
sys.modules["anthropic"] = None  # as if it were not installed
sys.path.insert(0, "examples")
sys.argv = ["examples/openai_dropin.py"]
runpy.run_path("examples/openai_dropin.py", run_name="__main__")
"""


def test_openai_example_runs_without_anthropic_installed() -> None:
    """examples/openai_dropin.py needs openai only: it runs with anthropic impossible to import."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(  # noqa: S603 - our interpreter and example file
        [sys.executable, "-c", BLOCK_ANTHROPIC],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert 0 == proc.returncode, proc.stdout + proc.stderr
    assert "answer: Hello from the local FakeLLMServer." in proc.stdout
