"""HTTP-shaped errors of clients without a map (groq, cohere, mistralai shapes): the status rule."""

from __future__ import annotations

import httpx
import pytest

from resilience_kit import ErrorCategory, classify

C = ErrorCategory


def _error_class(module: str) -> type[Exception]:
    return type("APIStatusError", (Exception,), {"__module__": module})


def test_stainless_shape_with_legacy_httpx_response() -> None:
    """A groq-style error: ``status_code``, ``response.headers`` (legacy httpx) and a dict body."""
    exc = _error_class("groq._exceptions")("Error code: 429")
    exc.status_code = 429
    exc.response = httpx.Response(429, headers={"retry-after": "7", "x-request-id": "req_g"})
    exc.body = {
        "error": {"message": "Rate limit reached", "type": "tokens", "code": "rate_limit_exceeded"}
    }
    result = classify(exc)
    assert (C.RATE_LIMIT, True, 429) == (result.category, result.retryable, result.status_code)
    assert (7.0, "req_g", "groq") == (result.retry_after, result.request_id, result.provider)
    assert "rate_limit_exceeded" == result.error_code


def test_headers_dict_and_quota_body() -> None:
    """A cohere-style error: ``headers`` as a plain dict; a billing code still means QUOTA."""
    exc = _error_class("cohere.core.api_error")("too many")
    exc.status_code = 429
    exc.headers = {"Retry-After": "2"}
    exc.body = {"code": "insufficient_quota", "message": "quota"}
    result = classify(exc)
    assert (C.QUOTA, False, 2.0) == (result.category, result.retryable, result.retry_after)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"message": "x", "code": "context_length_exceeded"}', C.CONTEXT_LENGTH),
        ("not json", C.BAD_REQUEST),
        (b'{"error": {"message": "m"}}', C.BAD_REQUEST),
        (None, C.BAD_REQUEST),
    ],
)
def test_json_text_bodies(body: object, expected: ErrorCategory) -> None:
    """A mistralai-style error whose body is JSON text is parsed; other text is ignored."""
    exc = _error_class("mistralai.models")("bad")
    exc.status_code = 400
    exc.body = body
    assert expected == classify(exc).category


@pytest.mark.parametrize("status", [None, "503", 200, 302, 600, True])
def test_not_http_shaped(status: object) -> None:
    """Without an integer 4xx/5xx ``status_code`` the fallback stays out: UNKNOWN."""
    exc = _error_class("someclient")("x")
    exc.status_code = status
    assert C.UNKNOWN == classify(exc).category


def test_server_errors_are_retried() -> None:
    """A 503 from an unknown client is OVERLOADED and retryable; x-should-retry still applies."""
    exc = _error_class("someclient")("x")
    exc.status_code = 503
    assert (C.OVERLOADED, True) == (classify(exc).category, classify(exc).retryable)
    exc.headers = {"x-should-retry": "false"}
    assert classify(exc).retryable is False


def test_try_again_in_from_the_body_is_the_hint_and_tokens_the_limit() -> None:
    """A groq-style 429 without headers: "try again in 2.5s" and type tokens are read, as for
    openai's own errors (one parser for both)."""
    exc = _error_class("groq._exceptions")("Error code: 429")
    exc.status_code = 429
    exc.body = {
        "error": {"message": "Rate limit reached. Please try again in 2.5s.", "type": "tokens"}
    }
    result = classify(exc)
    assert (C.RATE_LIMIT, 2.5) == (result.category, result.retry_after)
    assert "tokens" == result.limit
