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


# -- what people paste from a Python log ------------------------------------------------------

OPENAI_QUOTA = (
    "{'error': {'message': 'You exceeded your current quota, please check your plan and billing"
    " details.', 'type': 'insufficient_quota', 'param': None, 'code': 'insufficient_quota'}}"
)
ANTHROPIC_SPEND = (
    "{'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'You have reached your"
    " spend limit.', 'details': {'error_code': 'enforced_spend_limit_reached'}},"
    " 'request_id': 'req_011CT'}"
)
GEMINI_PER_DAY = (
    "{'error': {'code': 429, 'message': 'You exceeded your current quota. Please retry in 37s.',"
    " 'status': 'RESOURCE_EXHAUSTED', 'details': [{'@type':"
    " 'type.googleapis.com/google.rpc.QuotaFailure', 'violations': [{'quotaMetric':"
    " 'generativelanguage.googleapis.com/generate_content_free_tier_requests', 'quotaId':"
    " 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', 'quotaValue': '50'}]}]}}"
)
BEDROCK_RESPONSE = str(  # botocore's exc.response, as a log prints it
    {
        "Error": {
            "Message": "You don't have access to the model with the specified model ID.",
            "Code": "AccessDeniedException",
        },
        "ResponseMetadata": {
            "RequestId": "a1b2",
            "HTTPStatusCode": 403,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        },
    }
)


QUOTA_STR = OPENAI_QUOTA


@pytest.mark.parametrize(
    ("provider", "pasted", "form", "expected"),
    [
        ("openai", f"Error code: 429 - {OPENAI_QUOTA}", "sdk_str", ("quota", False, 429)),
        ("openai", OPENAI_QUOTA, "dict_repr", ("quota", False, 429)),
        ("anthropic", f"Error code: 429 - {ANTHROPIC_SPEND}", "sdk_str", ("quota", False, 429)),
        ("gemini", f"429 RESOURCE_EXHAUSTED. {GEMINI_PER_DAY}", "genai_str", ("quota", False, 429)),
        (
            "bedrock",
            "An error occurred (ThrottlingException) when calling the Converse operation (reached"
            " max retries: 0): Too many tokens, please wait before trying again.",
            "botocore_str",
            ("rate_limit", True, 429),
        ),
        ("bedrock", BEDROCK_RESPONSE, "botocore_response", ("permission", False, 403)),
    ],
    ids=["openai-str", "openai-dict", "anthropic-str", "gemini-str", "bedrock-str", "bedrock-dict"],
)
def test_pasted_log_forms_are_read_back(
    capsys: pytest.CaptureFixture[str],
    provider: str,
    pasted: str,
    form: str,
    expected: tuple[str, bool, int],
) -> None:
    """str(exc) and dict reprs from a Python log give the wire body's answer, status included."""
    args = ["--provider", provider, "--body", pasted]
    if provider == "openai" and form == "dict_repr":
        args += ["--status", "429"]  # a bare dict repr states no status
    report = _report(capsys, *args)
    found = report["classification"]
    assert expected == (found["category"], found["retryable"], found["status_code"])
    assert form == report["failure"]["body_form"]
    assert all(not p["retried"] for p in report["presets"]) == (not expected[1])


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--provider", "openai", "--body", "Error code: 429 - {'error': {'code': 'insuffic"],
            "cannot be read",
        ),
        (["--provider", "anthropic", "--body", "{'error': {'type': 'x'}, 'n': {1, 2}}"], "set"),
        (
            ["--provider", "openai", "--status", "500", "--body", f"Error code: 429 - {QUOTA_STR}"],
            "--status 500 but the pasted body says 429",
        ),
        (["--provider", "openai", "--status", "429", "--body", "quota {exceeded"], "neither JSON"),
        (
            ["--provider", "openai", "--body", "An error occurred (ThrottlingException): slow"],
            "use --provider bedrock",
        ),
    ],
    ids=["truncated", "not-plain-data", "status-conflict", "stray-brace", "botocore-not-bedrock"],
)
def test_pasted_bodies_that_cannot_be_read_are_refused(
    capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    """A body that looks structured but cannot be read is refused: one line, exit 2."""
    assert 2 == main(["explain", *args])
    captured = capsys.readouterr()
    assert "" == captured.out
    assert 1 == len(captured.err.splitlines())
    assert said in captured.err
