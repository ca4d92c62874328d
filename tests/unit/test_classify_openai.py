"""classify() on real ``openai`` exceptions, built with the SDK's own status dispatcher."""

from __future__ import annotations

import httpx2
import openai
import pytest

from resilience_kit import ErrorCategory, classify
from tests.unit.sdk_errors import OPENAI_URL, openai_error, openai_stream_error

C = ErrorCategory


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, C.BAD_REQUEST),
        (401, C.AUTH),
        (402, C.QUOTA),
        (403, C.PERMISSION),
        (404, C.NOT_FOUND),
        (408, C.TIMEOUT),
        (409, C.CONFLICT),
        (413, C.BAD_REQUEST),
        (422, C.BAD_REQUEST),
        (429, C.RATE_LIMIT),
        (499, C.CONNECTION),
        (500, C.SERVER),
        (501, C.SERVER),
        (502, C.SERVER),
        (503, C.OVERLOADED),
        (504, C.SERVER),
        (529, C.OVERLOADED),
    ],
)
def test_status_classes(status: int, expected: ErrorCategory) -> None:
    """Each status maps to its category, with status_code and provider filled."""
    result = classify(openai_error(status))
    assert expected == result.category
    assert expected.retryable == result.retryable
    assert status == result.status_code
    assert "openai" == result.provider
    assert result.in_stream is False


@pytest.mark.parametrize(
    "code",
    [
        "insufficient_quota",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
        "billing_hard_limit_reached",
    ],
)
def test_billing_429_is_quota(code: str) -> None:
    """A 429 carrying a spend or billing code is a billing stop, not a rate limit."""
    result = classify(openai_error(429, code=code, error_type="insufficient_quota"))
    assert C.QUOTA == result.category
    assert result.retryable is False
    assert code == result.error_code


def test_quota_by_type_only() -> None:
    """``type=insufficient_quota`` with no code is also a billing stop."""
    assert C.QUOTA == classify(openai_error(429, error_type="insufficient_quota")).category


@pytest.mark.parametrize("code", ["rate_limit_exceeded", "slow_down"])
def test_rate_limit_codes(code: str) -> None:
    """Throughput codes stay RATE_LIMIT and keep the server's wait hint."""
    result = classify(openai_error(429, code=code, headers={"retry-after-ms": "1776"}))
    assert C.RATE_LIMIT == result.category
    assert 1.776 == result.retry_after
    assert result.retryable is True


def test_context_length_by_code() -> None:
    """``context_length_exceeded`` is CONTEXT_LENGTH."""
    result = classify(openai_error(400, code="context_length_exceeded"))
    assert C.CONTEXT_LENGTH == result.category
    assert "context_length_exceeded" == result.error_code


def test_context_length_by_message() -> None:
    """A 400 saying "maximum context length" is CONTEXT_LENGTH even without the code."""
    msg = "This model's maximum context length is 8192 tokens. However, you requested 9000."
    assert C.CONTEXT_LENGTH == classify(openai_error(400, message=msg)).category


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("content_policy_violation", "x"),
        ("content_filter", "x"),
        (None, "The response was filtered due to the prompt triggering content management policy"),
        ("invalid_prompt", "Invalid prompt: your prompt was flagged for our usage policy."),
    ],
)
def test_content_filter(code: str | None, message: str) -> None:
    """Content-policy refusals are CONTENT_FILTER (by code or by message)."""
    assert C.CONTENT_FILTER == classify(openai_error(400, code=code, message=message)).category


def test_503_overloaded() -> None:
    """A 503 ``server_is_overloaded`` is OVERLOADED and retryable."""
    result = classify(openai_error(503, code="server_is_overloaded"))
    assert C.OVERLOADED == result.category
    assert result.retryable is True


def test_500_body_cannot_make_it_a_client_error() -> None:
    """A 5xx stays a server failure whatever codes its body carries."""
    assert C.SERVER == classify(openai_error(500, code="context_length_exceeded")).category


def test_request_id_and_headers() -> None:
    """request_id comes from ``x-request-id``; retry_after from ``retry-after``."""
    exc = openai_error(429, headers={"x-request-id": "req_42", "retry-after": "2.5"})
    result = classify(exc)
    assert "req_42" == result.request_id
    assert 2.5 == result.retry_after


@pytest.mark.parametrize(("header", "expected"), [("true", True), ("false", False)])
def test_x_should_retry_overrides_retryable(header: str, expected: bool) -> None:
    """``x-should-retry`` decides retryable; the category stays the status's."""
    for status, category in ((400, C.BAD_REQUEST), (500, C.SERVER)):
        result = classify(openai_error(status, headers={"x-should-retry": header}))
        assert category == result.category
        assert expected == result.retryable


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": "The server had an error", "type": "server_error"}, C.SERVER),
        (
            {"message": "Rate limit reached", "type": "tokens", "code": "rate_limit_exceeded"},
            C.RATE_LIMIT,
        ),
        ({"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}, C.QUOTA),
        ({"message": "overloaded", "type": "service_unavailable_error"}, C.OVERLOADED),
        ({"message": "bad", "type": "invalid_request_error"}, C.BAD_REQUEST),
        ({"message": "something odd"}, C.SERVER),
    ],
)
def test_mid_stream_api_error(body: dict[str, str], expected: ErrorCategory) -> None:
    """A bare ``APIError`` from a stream is classified from its body with in_stream=True."""
    result = classify(openai_stream_error(body, message=body["message"]))
    assert expected == result.category
    assert result.in_stream is True
    assert result.status_code is None
    assert "openai" == result.provider


def test_mid_stream_body_not_a_dict() -> None:
    """A mid-stream error whose body is not a dict is a SERVER failure, not a crash."""
    exc = openai.APIError("boom", httpx2.Request("POST", OPENAI_URL), body="oops")
    assert C.SERVER == classify(exc).category


def test_timeout_and_connection() -> None:
    """APITimeoutError is TIMEOUT; APIConnectionError is CONNECTION, or TIMEOUT if one caused it."""
    request = httpx2.Request("POST", OPENAI_URL)
    assert C.TIMEOUT == classify(openai.APITimeoutError(request)).category
    plain = openai.APIConnectionError(request=request)
    assert C.CONNECTION == classify(plain).category
    caused = openai.APIConnectionError(request=request)
    caused.__cause__ = httpx2.ReadTimeout("slow")
    assert C.TIMEOUT == classify(caused).category


def test_parse_helper_errors() -> None:
    """The ``.parse()`` helpers' finish-reason errors are CONTENT_FILTER and CONTEXT_LENGTH."""
    assert C.CONTENT_FILTER == classify(openai.ContentFilterFinishReasonError()).category
    exc = openai.LengthFinishReasonError.__new__(openai.LengthFinishReasonError)
    assert C.CONTEXT_LENGTH == classify(exc).category


def test_base_error_follows_cause() -> None:
    """A bare ``OpenAIError`` wrapping a timeout is classified by the timeout."""
    exc = openai.OpenAIError("wrapped")
    exc.__cause__ = TimeoutError()
    result = classify(exc)
    assert C.TIMEOUT == result.category


def test_subclass_from_another_module() -> None:
    """A wrapper's subclass of an openai error (as litellm defines them) gets openai's decision."""
    wrapper = type("RateLimitError", (openai.RateLimitError,), {"__module__": "litellm.exceptions"})
    exc = openai_error(429, code="insufficient_quota")
    exc.__class__ = wrapper
    assert C.QUOTA == classify(exc).category


def test_message_is_redacted() -> None:
    """API keys in an SDK message never reach the Classification."""
    msg = "Incorrect API key provided: sk-proj-abcdefghijklmnop1234. Bearer abc.def-ghi"
    result = classify(openai_error(401, message=msg))
    assert "abcdefghijklmnop1234" not in result.message
    assert "abc.def-ghi" not in result.message
    assert "sk-***" in result.message
