"""`explain --body` on what the locked SDKs print, produced by the real clients against the fake.

Each pasted form is taken from the exception the SDK raises for a scripted fault (never written by
hand), and ``explain`` must answer as ``classify()`` answers the live exception.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit._cli._main import main
from resilience_kit.testing import FakeLLMServer, Fault

pytestmark = pytest.mark.integration

KEY = "sk-proj-SUPERSECRETkey1234567890abcdef"


def _report(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert 0 == main(["explain", *args, "--json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_key_in_the_pasted_body_is_redacted_in_text_and_json(
    provider: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid-key answer quoting the key: the SDK's answer is explained, the key never shown."""
    body = json.dumps(
        {"error": {"message": f"Incorrect API key provided: {KEY}.", "type": "invalid_api_key"}}
    )
    report = _report(capsys, "--provider", provider, "--status", "401", "--body", body)
    assert "auth" == report["classification"]["category"]
    assert 0 == main(["explain", "--provider", provider, "--status", "401", "--body", body])
    text = capsys.readouterr().out
    assert "classification:  auth" in text
    for printed in (json.dumps(report), text):
        assert KEY not in printed
        assert "SUPERSECRET" not in printed


QUOTA_MESSAGE = "You exceeded your current quota, please check your plan and billing details."
TPM_MESSAGE = (
    "Rate limit reached for gpt-4o-mini in organization org-abc on tokens per min (TPM): "
    "Limit 200000, Used 199000, Requested 1500. Please try again in 450ms."
)
ANTHROPIC_TPM = "Number of request tokens has exceeded your per-minute rate limit"
SPEND_BODY = {
    "type": "error",
    "error": {
        "type": "rate_limit_error",
        "message": "Your organization has reached its spend limit",
        "details": {"error_code": "enforced_spend_limit_reached", "limit_usd": 100},
    },
}

# (provider, fault, how the log shows it): each a real SDK's exception for a scripted fault.
LOG_CASES = {
    "openai quota": ("openai", Fault.status(429, code="insufficient_quota", message=QUOTA_MESSAGE)),
    "openai try again in 450ms": (
        "openai",
        Fault.status(429, code="rate_limit_exceeded", message=TPM_MESSAGE),
    ),
    "openai 500": ("openai", Fault.status(500, message="The server had an error")),
    "anthropic rate limit": (
        "anthropic",
        Fault.status(429, type="rate_limit_error", message=ANTHROPIC_TPM),
    ),
    "anthropic overloaded": ("anthropic", Fault.status(529, type="overloaded_error")),
    "anthropic spend limit code": (
        "anthropic",
        Fault.status(429, type="rate_limit_error", code="enforced_spend_limit_reached"),
    ),
    "anthropic spend limit details": ("anthropic", Fault.status(429, body=SPEND_BODY)),
    "anthropic billing 402": ("anthropic", Fault.status(402, type="billing_error")),
    "anthropic empty body": ("anthropic", Fault.status(503, body="")),
}


def _live(provider: str, fault: Fault) -> BaseException:
    """The exception the real client raises for *fault*."""
    with FakeLLMServer() as server:
        server.script(fault)
        messages: Any = [{"role": "user", "content": "hi"}]
        try:
            if provider == "openai":
                server.openai_client().chat.completions.create(model="m", messages=messages)
            else:
                server.anthropic_client().messages.create(
                    model="m", max_tokens=8, messages=messages
                )
        except Exception as exc:  # whatever the SDK raises is the subject
            return exc
    raise AssertionError("the client did not fail")  # pragma: no cover


def _logged(exc: BaseException) -> list[str]:
    """How logs show *exc*: a traceback's last line, and a logging line around str(exc)."""
    name = f"{type(exc).__module__.partition('.')[0]}.{type(exc).__name__}"
    return [f"{name}: {exc}", f"ERROR:root:request failed: {exc}"]


@pytest.mark.parametrize(("provider", "fault"), LOG_CASES.values(), ids=LOG_CASES.keys())
def test_pasted_log_line_is_explained_as_the_live_exception_is_classified(
    provider: str, fault: Fault, capsys: pytest.CaptureFixture[str]
) -> None:
    """str(exc) of the locked SDK, pasted: the same category, retryability, hint and status."""
    exc = _live(provider, fault)
    live = rk.classify(exc)
    for pasted in _logged(exc):
        report = _report(capsys, "--provider", provider, "--body", pasted)
        found = report["classification"]
        assert (live.category.value, live.retryable, live.retry_after, live.status_code) == (
            found["category"],
            found["retryable"],
            found["retry_after"],
            found["status_code"],
        ), pasted


def test_openai_quota_log_line_is_a_billing_stop_no_preset_retries(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """openai's message-only str(exc) of insufficient_quota: quota, not retried anywhere."""
    exc = _live("openai", LOG_CASES["openai quota"][1])
    assert f"Error code: 429 - {QUOTA_MESSAGE}" == str(exc)  # the form this test is about
    report = _report(capsys, "--provider", "openai", "--body", f"openai.RateLimitError: {exc}")
    assert "quota" == report["classification"]["category"]
    assert [False] * 7 == [p["retried"] for p in report["presets"]]


def test_anthropic_log_line_states_status_and_type(capsys: pytest.CaptureFixture[str]) -> None:
    """anthropic's "429 ... (request_id: ..., type: rate_limit_error)": no --status needed."""
    exc = _live("anthropic", LOG_CASES["anthropic rate limit"][1])
    assert str(exc).endswith("path: /v1/messages, type: rate_limit_error)")
    report = _report(capsys, "--provider", "anthropic", "--body", str(exc))
    assert 429 == report["failure"]["status"]
    assert "anthropic_str" == report["failure"]["body_form"]
    assert ("rate_limit", "rate_limit_error") == (
        report["classification"]["category"],
        report["classification"]["error_code"],
    )
    stated = _report(capsys, "--provider", "anthropic", "--status", "429", "--body", str(exc))
    assert report["classification"] == stated["classification"]
    assert 2 == main(["explain", "--provider", "anthropic", "--status", "503", "--body", str(exc)])
    assert "--status 503 but the pasted body says 429" in capsys.readouterr().err


@pytest.mark.parametrize("provider", ["openai", "http"])
def test_try_again_in_from_a_log_line_is_the_server_hint(
    provider: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "Please try again in 450ms." in a pasted openai line is a 0.45 s hint, as live."""
    exc = _live("openai", LOG_CASES["openai try again in 450ms"][1])
    assert 0.45 == rk.classify(exc).retry_after
    report = _report(capsys, "--provider", provider, "--body", _logged(exc)[1])
    assert 0.45 == report["classification"]["retry_after"]
