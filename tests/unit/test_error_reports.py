"""``Classification.to_dict()`` and ``ResilienceError.to_dict()``: JSON-safe error reports."""

from __future__ import annotations

import json

import pytest

from resilience_kit import (
    BulkheadFullError,
    CallTimeoutError,
    CircuitOpenError,
    Classification,
    ConfigurationError,
    ErrorCategory,
    ResilienceError,
    classify,
)

_FIELDS = {
    "category",
    "retryable",
    "retry_after",
    "status_code",
    "provider",
    "error_code",
    "request_id",
    "in_stream",
    "message",
    "limit",
}


def test_classification_to_dict_has_every_field_and_survives_json() -> None:
    """Every Classification field is in the dict, the category as its string value."""
    found = Classification(
        ErrorCategory.RATE_LIMIT,
        retryable=True,
        retry_after=1.5,
        status_code=429,
        provider="openai",
        error_code="rate_limit_exceeded",
        request_id="req_123",
        in_stream=False,
        message="slow down",
    )
    data = found.to_dict()
    assert _FIELDS == set(data)
    assert data == json.loads(json.dumps(data))
    assert "rate_limit" == data["category"]
    assert 1.5 == data["retry_after"]
    assert "req_123" == data["request_id"]


def test_classify_to_dict_redacts_the_message() -> None:
    """An API key in the exception text never reaches the report."""
    data = classify(TimeoutError("failed with key sk-abcdefghijklmnop1234")).to_dict()
    assert "timeout" == data["category"]
    assert "sk-abcdefghijklmnop1234" not in json.dumps(data)
    assert "sk-***" in data["message"]


def test_hand_built_classification_is_redacted_too() -> None:
    """A Classification built by a user's map with a secret in it is redacted in to_dict()."""
    found = Classification(ErrorCategory.AUTH, retryable=False, message="Bearer abcdef123456")
    assert "abcdef123456" not in found.to_dict()["message"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            CircuitOpenError("openai", 2.5),
            {
                "error": "CircuitOpenError",
                "category": "circuit_open",
                "name": "openai",
                "retry_after": 2.5,
            },
        ),
        (
            ConfigurationError("max_attempts", "must be >= 1, got 0"),
            {"error": "ConfigurationError", "category": "bad_request", "field": "max_attempts"},
        ),
        (
            BulkheadFullError("db", 4),
            {
                "error": "BulkheadFullError",
                "category": "overloaded",
                "name": "db",
                "max_concurrent": 4,
            },
        ),
        (
            CallTimeoutError("fetch", 3.0),
            {
                "error": "CallTimeoutError",
                "category": "timeout",
                "function": "fetch",
                "seconds": 3.0,
            },
        ),
    ],
)
def test_kit_errors_to_dict(error: ResilienceError, expected: dict[str, object]) -> None:
    """Each kit error reports its type, category, message and the facts it was raised with."""
    data = error.to_dict()
    assert data == json.loads(json.dumps(data))
    assert str(error) == data["message"]
    assert expected == {k: v for k, v in data.items() if k != "message"}


def test_kit_error_message_is_redacted() -> None:
    """A secret that slipped into a kit error's text is redacted in to_dict()."""
    data = ConfigurationError("api_key", "sk-abcdefghijklmnop1234 is not allowed").to_dict()
    assert "sk-abcdefghijklmnop1234" not in data["message"]
