"""``classify_http``: a full Classification from status, headers and body, for users' own maps."""

from __future__ import annotations

import json

import httpx
import pytest

import resilience_kit as rk
from resilience_kit import ConfigurationError, ErrorCategory, classify_http

C = ErrorCategory


def test_openai_shaped_429_with_hint_and_request_id() -> None:
    """Status rule, body code, retry-after-ms (over retry-after) and x-request-id in one call."""
    result = classify_http(
        429,
        headers=httpx.Headers({"retry-after-ms": "250", "retry-after": "9", "x-request-id": "r1"}),
        body={"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}},
        provider="myclient",
    )
    assert C.RATE_LIMIT == result.category
    assert result.retryable is True
    assert 0.25 == result.retry_after
    assert (429, "myclient", "rate_limit_exceeded") == (
        result.status_code,
        result.provider,
        result.error_code,
    )
    assert ("r1", False, "Rate limit reached") == (
        result.request_id,
        result.in_stream,
        result.message,
    )


def test_billing_code_in_json_text_is_a_quota_stop() -> None:
    """A JSON text body is decoded; ``insufficient_quota`` on a 429 is QUOTA, not retried."""
    body = json.dumps({"error": {"type": "insufficient_quota", "code": "insufficient_quota"}})
    result = classify_http(429, body=body)
    assert (C.QUOTA, False) == (result.category, result.retryable)


def test_google_shaped_body_reads_retry_info_and_per_day_quota() -> None:
    """Google ``error.status`` and ``details``: RetryInfo is the hint, a per-day quota a stop."""
    details: list[dict[str, object]] = [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12.5s"}
    ]
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": details}}
    per_minute = classify_http(429, body=body)
    assert (C.RATE_LIMIT, 12.5, "RESOURCE_EXHAUSTED") == (
        per_minute.category,
        per_minute.retry_after,
        per_minute.error_code,
    )
    details.append(
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel"}],
        }
    )
    assert C.QUOTA == classify_http(429, body=body).category


def test_google_message_hint_only_in_google_shaped_bodies() -> None:
    """ "Please retry in Ns" counts in a Google error body; another client's message is not read."""
    google = {"error": {"status": "RESOURCE_EXHAUSTED", "message": "Please retry in 4.5s."}}
    assert 4.5 == classify_http(429, body=google).retry_after
    other = {"error": {"code": "rate_limit_exceeded", "message": "Please retry in 4.5s."}}
    assert classify_http(429, body=other).retry_after is None


def test_aws_shaped_error_type_header() -> None:
    """``x-amzn-ErrorType`` names the code; ``x-amz-retry-after`` (ms) is the hint."""
    result = classify_http(
        503,
        headers={
            "x-amzn-ErrorType": "ServiceUnavailableException:http://internal.amazon.com/coral/",
            "x-amz-retry-after": "2000",
            "x-amzn-RequestId": "aws-1",
        },
        body=b'{"message": "Bedrock is unable to process your request."}',
    )
    assert (C.OVERLOADED, 2.0, "ServiceUnavailableException", "aws-1") == (
        result.category,
        result.retry_after,
        result.error_code,
        result.request_id,
    )


def test_aws_type_in_body_and_daily_throttle() -> None:
    """A ``__type`` in the body works too; "tokens per day" makes a throttle a quota stop."""
    result = classify_http(
        429,
        body={"__type": "com.amazon#ThrottlingException", "message": "Too many tokens per day"},
    )
    assert (C.QUOTA, "ThrottlingException") == (result.category, result.error_code)


def test_no_status_means_in_stream_and_the_body_decides() -> None:
    """``status=None`` (an error event inside a stream): the body's type decides, in_stream set."""
    result = classify_http(None, body={"type": "error", "error": {"type": "overloaded_error"}})
    assert (C.OVERLOADED, True, None) == (result.category, result.in_stream, result.status_code)


def test_should_retry_header_and_5xx_body() -> None:
    """``x-should-retry: false`` stops a 500; a 5xx body never makes it a client error."""
    result = classify_http(
        500,
        headers=[("x-should-retry", "false")],
        body={"error": {"code": "context_length_exceeded"}},
    )
    assert (C.SERVER, False) == (result.category, result.retryable)


def test_plain_text_body_and_secrets_are_redacted() -> None:
    """A non-JSON body becomes the message, with keys redacted and the length capped."""
    result = classify_http(401, body="bad key sk-proj-abcdefghijklmnop " + "x" * 1000)
    assert C.AUTH == result.category
    assert "sk-proj-abcdefghijklmnop" not in result.message
    assert "sk-***" in result.message
    assert 500 >= len(result.message)


def test_explicit_fields_win() -> None:
    """Given message, request id and in_stream are used as they are (the message redacted)."""
    result = classify_http(
        503, message="api_key=secret123 down", request_id="mine", in_stream=True, body={}
    )
    assert ("mine", True) == (result.request_id, result.in_stream)
    assert "secret123" not in result.message


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": 99}, "status"),
        ({"status": 600}, "status"),
        ({"status": True}, "status"),
        ({"status": "429"}, "status"),
        ({"status": 429, "provider": 3}, "provider"),
        ({"status": 429, "in_stream": "yes"}, "in_stream"),
    ],
)
def test_bad_arguments_raise_configuration_error(kwargs: dict[str, object], field: str) -> None:
    """Wrong types or a status outside 100..599 fail loudly, naming the field."""
    status = kwargs.pop("status")
    with pytest.raises(ConfigurationError, match=field):
        classify_http(status, **kwargs)  # type: ignore[arg-type]


def test_a_user_map_returns_it_in_one_line() -> None:
    """A map for an unknown client returns classify_http(...): classify() passes it through."""

    class MyClientError(Exception):
        def __init__(self, status: int, headers: dict[str, str], body: str) -> None:
            super().__init__(f"HTTP {status}")
            self.status, self.headers, self.body = status, headers, body

    def my_map(exc: BaseException) -> rk.Classification | None:
        if isinstance(exc, MyClientError):
            return classify_http(exc.status, headers=exc.headers, body=exc.body, provider="mine")
        return None

    unregister = rk.register_exception_map(my_map, name="mine-builder-test")
    try:
        result = rk.classify(MyClientError(429, {"retry-after": "3"}, '{"error": {}}'))
    finally:
        unregister()
    assert (C.RATE_LIMIT, 3.0, "mine") == (result.category, result.retry_after, result.provider)
