"""`resilience-kit explain` for SDK failures: the real SDK clients against FakeLLMServer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from resilience_kit._cli._main import main

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration
QUOTA = ("--status", "429", "--body")


def _report(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert 0 == main(["explain", *args, "--json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def test_openai_insufficient_quota_is_a_quota_stop_everywhere() -> None:
    """The issue's command, run as a program: a quota stop, `not retried` under every preset."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["PYTHONPATH"] = str(ROOT)
    body = '{"error":{"code":"insufficient_quota"}}'
    proc = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-m", "resilience_kit", "explain", "--provider", "openai", *QUOTA, body],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert 0 == proc.returncode, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("classification:  quota, not retryable (provider openai, status 429")
    preset_lines = proc.stdout.split("per preset:\n")[1].splitlines()
    assert ["default", "openai", "anthropic", "gemini", "bedrock", "interactive", "batch"] == [
        line.split()[0] for line in preset_lines
    ]
    assert all("not retried: quota is not retryable" in line for line in preset_lines)


def test_openai_retry_after_2_waits_2s_where_the_cap_allows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """429 with retry-after: 2 through the OpenAI SDK: a 2 s wait under every built-in preset."""
    report = _report(capsys, "--provider", "openai", "--status", "429", "--header", "retry-after:2")
    assert "rate_limit" == report["classification"]["category"]
    assert 2.0 == report["classification"]["retry_after"]
    assert [(True, 2.0, 2.0)] * 7 == [
        (p["retried"], p["wait"], p["wait_max"]) for p in report["presets"]
    ]


def test_anthropic_retry_after_beyond_the_cap_gives_up_at_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A 90 s hint on an Anthropic 429 is waited only by presets whose max_retry_after allows it."""
    report = _report(
        capsys, "--provider", "anthropic", "--status", "429", "--header", "retry-after:90"
    )
    verdicts = {p["preset"]: p["retried"] for p in report["presets"]}
    assert {
        "default": False,
        "openai": True,
        "anthropic": False,
        "gemini": False,
        "bedrock": False,
        "interactive": False,
        "batch": True,
    } == verdicts
    refused = next(p for p in report["presets"] if p["preset"] == "anthropic")
    assert "the server asked to wait 90s, more than max_retry_after=60s" == refused["why"]


@pytest.mark.parametrize(
    ("args", "category", "retryable"),
    [
        (["--provider", "anthropic", "--status", "529"], "overloaded", True),
        (
            ["--provider", "anthropic", "--in-stream", "--type", "overloaded_error"],
            "overloaded",
            True,
        ),
        (["--provider", "openai", "--in-stream", "--type", "server_error"], "server", True),
        (
            ["--provider", "openai", "--status", "400", "--code", "context_length_exceeded"],
            "context_length",
            False,
        ),
        (["--provider", "anthropic", "--status", "401"], "auth", False),
        (["--provider", "gemini", "--status", "429"], "rate_limit", True),
        (["--provider", "gemini", "--status", "503"], "overloaded", True),
        (["--provider", "gemini", "--in-stream", "--type", "UNAVAILABLE"], "overloaded", True),
        (["--provider", "bedrock", "--status", "429"], "rate_limit", True),
        (
            ["--provider", "bedrock", "--status", "400", "--type", "ServiceQuotaExceededException"],
            "quota",
            False,
        ),
        (
            ["--provider", "bedrock", "--in-stream", "--type", "throttlingException"],
            "rate_limit",
            True,
        ),
    ],
)
def test_sdk_failures_are_classified_as_the_sdk_raises_them(
    args: list[str], category: str, retryable: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Status, code, type and in-stream errors rebuilt through the SDKs get the table's category."""
    report = _report(capsys, *args)
    assert args[1] == report["classification"]["provider"]
    assert (category, retryable) == (
        report["classification"]["category"],
        report["classification"]["retryable"],
    )
    assert ("--in-stream" in args) is report["classification"]["in_stream"]


def test_missing_sdk_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the openai package, --provider openai is a one-line error naming the extra."""
    monkeypatch.setitem(sys.modules, "openai", None)
    assert 2 == main(["explain", "--provider", "openai", "--status", "500"])
    err = capsys.readouterr().err
    assert 1 == len(err.splitlines())
    assert "pip install 'llm-resilience-kit[openai]'" in err
