"""Edge cases of the provider maps: odd classes, bodies and statuses. classify() never raises."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest

from resilience_kit import ErrorCategory, classify
from resilience_kit._classify._headers import get_header, parse_http_date
from tests.unit.sdk_errors import ANTHROPIC_URL, OPENAI_URL, anthropic_error, response

C = ErrorCategory


def test_unknown_class_in_an_sdk_module() -> None:
    """A class from an SDK's module that no table lists is UNKNOWN (its cause is still followed)."""
    new_openai = type("BrandNewError", (Exception,), {"__module__": "openai.brand_new"})
    new_anthropic = type("BrandNewError", (Exception,), {"__module__": "anthropic.brand_new"})
    assert C.UNKNOWN == classify(new_openai("x")).category
    exc = new_anthropic("x")
    exc.__cause__ = TimeoutError()
    assert C.TIMEOUT == classify(exc).category


def test_response_validation_errors_are_unknown() -> None:
    """A 200 that does not match the SDK's schema is UNKNOWN, with its status kept."""
    for module in (openai, anthropic):
        resp = response(200, {"unexpected": True})
        exc = module.APIResponseValidationError(resp, body={"unexpected": True})
        result = classify(exc)
        assert C.UNKNOWN == result.category
        assert 200 == result.status_code
        assert result.retryable is False


def test_anthropic_bare_api_error_reads_the_body() -> None:
    """A bare ``anthropic.APIError`` (no response) is classified from its body, in_stream=True."""
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    exc = anthropic.APIError("Overloaded", httpx2.Request("POST", ANTHROPIC_URL), body=body)
    result = classify(exc)
    assert C.OVERLOADED == result.category
    assert result.in_stream is True
    assert "overloaded_error" == result.error_code


def test_anthropic_base_error_follows_cause() -> None:
    """A bare ``AnthropicError`` says nothing itself; its ``__cause__`` decides."""
    exc = anthropic.AnthropicError("wrapped")
    exc.__cause__ = ConnectionResetError()
    assert C.CONNECTION == classify(exc).category
    assert C.UNKNOWN == classify(anthropic.AnthropicError("alone")).category


def test_anthropic_connection_error_caused_by_timeout() -> None:
    """An anthropic ``APIConnectionError`` caused by a read timeout is TIMEOUT."""
    exc = anthropic.APIConnectionError(request=httpx2.Request("POST", ANTHROPIC_URL))
    exc.__cause__ = httpx2.ReadTimeout("slow")
    assert C.TIMEOUT == classify(exc).category


def test_openai_api_error_with_a_response_uses_the_status() -> None:
    """An ``APIError`` given a status and a response (by a wrapper) is classified by status."""
    exc = openai.APIError("x", httpx2.Request("POST", OPENAI_URL), body={"code": 42})
    exc.status_code = 503
    exc.response = response(503)
    result = classify(exc)
    assert C.OVERLOADED == result.category
    assert "42" == result.error_code


def test_non_string_body_fields() -> None:
    """Numeric or nested body fields never crash: numbers become codes, the rest is ignored."""
    exc = anthropic_error(400, error_type="invalid_request_error")
    exc.body = {"error": {"type": ["not", "a", "string"], "message": {"x": 1}}}
    exc.type = None
    exc.api_message = None
    assert C.BAD_REQUEST == classify(exc).category


@pytest.mark.parametrize("mod", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_redirect_status_is_unknown(mod: Any) -> None:
    """``raise_for_status()`` on a 3xx gives an ``HTTPStatusError`` we do not retry."""
    request = mod.Request("GET", "https://example.invalid/")
    resp = mod.Response(302, request=request)
    exc = mod.HTTPStatusError("redirect", request=request, response=resp)
    result = classify(exc)
    assert C.UNKNOWN == result.category
    assert 302 == result.status_code


def test_header_pairs_with_junk_and_dates_out_of_range() -> None:
    """Junk items in header pairs are skipped; HTTP-dates past year 9999 are no hint."""
    assert "5" == get_header([("x",), 7, ("retry-after", "5")], "Retry-After")
    assert parse_http_date("Mon, 01 Jan 10000 00:00:00 GMT") is None
    assert parse_http_date("Mon, 01 Jan 99999999999 00:00:00 GMT") is None


def test_classification_to_dict_is_json_safe() -> None:
    """``to_dict()`` gives plain values, the category as its string."""
    data = classify(anthropic_error(529, error_type="overloaded_error")).to_dict()
    assert "overloaded" == data["category"]
    assert 529 == data["status_code"]
    assert "anthropic" == data["provider"]


def test_numeric_body_code() -> None:
    """A numeric ``code`` in a mid-stream body is kept as text."""
    exc = anthropic.APIError(
        "x", httpx2.Request("POST", ANTHROPIC_URL), body={"code": 1, "type": 2}
    )
    exc.body = {"error": {"type": 529, "message": "m"}}
    result = classify(exc)
    assert "529" == result.error_code
    assert C.SERVER == result.category


def test_retryable_error_with_an_unknown_cause() -> None:
    """``RetryableError`` over a cause nobody knows is still a retryable SERVER failure."""
    exc = anthropic.RetryableError("again")
    exc.__cause__ = ValueError("odd")
    result = classify(exc)
    assert (C.SERVER, True) == (result.category, result.retryable)


def test_kit_errors() -> None:
    """The kit's own errors carry their category; an open circuit keeps its retry_after."""
    from resilience_kit.exceptions import CircuitOpenError, ConfigurationError

    opened = classify(CircuitOpenError("llm", 2.5))
    assert (C.CIRCUIT_OPEN, 2.5, False) == (opened.category, opened.retry_after, opened.retryable)
    assert C.BAD_REQUEST == classify(ConfigurationError("max_attempts", "must be >= 1")).category
