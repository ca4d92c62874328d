"""Every exception class the installed openai and anthropic SDKs export has an explicit decision.

When an SDK upgrade adds an error class, these tests fail and name it: decide its category in
``resilience_kit/_classify/_openai.py`` or ``_anthropic_table.py`` (and the README table).
"""

from __future__ import annotations

import anthropic
import anthropic._error_classes
import openai
import pytest

from resilience_kit import ErrorCategory, classify
from resilience_kit._classify import _anthropic_table, _openai
from resilience_kit._classify._common import (
    BY_BODY,
    BY_CAUSE,
    BY_STATUS,
    NoRetry,
    category_for_status,
)
from tests.unit.sdk_errors import ANTHROPIC_CLIENT, ANTHROPIC_URL, exported_exceptions, response

DECISION_VALUES = {BY_STATUS, BY_BODY, BY_CAUSE, *ErrorCategory}


OPENAI_CLASSES = exported_exceptions(openai, list(_openai.ERROR_MODULES))
ANTHROPIC_CLASSES = exported_exceptions(anthropic, list(_anthropic_table.ERROR_MODULES))


@pytest.mark.parametrize(
    ("classes", "table"),
    [(OPENAI_CLASSES, _openai.DECISIONS), (ANTHROPIC_CLASSES, _anthropic_table.DECISIONS)],
    ids=["openai", "anthropic"],
)
def test_every_sdk_exception_has_a_decision(
    classes: dict[str, type], table: dict[str, object]
) -> None:
    """No exported exception class is left to chance; missing ones are listed by name."""
    missing = sorted(set(classes) - set(table))
    assert [] == missing


@pytest.mark.parametrize(
    ("classes", "table"),
    [(OPENAI_CLASSES, _openai.DECISIONS), (ANTHROPIC_CLASSES, _anthropic_table.DECISIONS)],
    ids=["openai", "anthropic"],
)
def test_no_stale_decisions(classes: dict[str, type], table: dict[str, object]) -> None:
    """Every table entry names a class the installed SDK still has, with a valid decision."""
    assert [] == sorted(set(table) - set(classes))
    assert [] == sorted(
        name
        for name, value in table.items()
        if not (value in DECISION_VALUES or isinstance(value, NoRetry))
    )


def test_enumeration_found_the_known_classes() -> None:
    """The enumeration itself works: it sees the classes DESIGN.md names."""
    assert {"RateLimitError", "APIError", "APITimeoutError", "OAuthError"} <= set(OPENAI_CLASSES)
    assert {
        "OverloadedError",
        "EnforcedSpendLimitReachedError",
        "RampLimitExceededError",
        "RetryableError",
    } <= set(ANTHROPIC_CLASSES)
    assert 20 <= len(OPENAI_CLASSES)
    assert 100 <= len(ANTHROPIC_CLASSES)


@pytest.mark.parametrize(
    ("status", "code"),
    sorted(anthropic._error_classes.ERROR_CLASSES, key=lambda key: (key[0], key[1] or "")),
)
def test_every_anthropic_dispatch_entry(status: int, code: str | None) -> None:
    """Each (status, error_code) the SDK dispatches on classifies to its table's decision."""
    error: dict[str, object] = {"type": "api_error", "message": "m"}
    if code is not None:
        error["details"] = {"error_code": code}
    exc = ANTHROPIC_CLIENT._make_status_error_from_response(
        response(status, {"type": "error", "error": error}, url=ANTHROPIC_URL)
    )
    assert anthropic._error_classes.ERROR_CLASSES[(status, code)] is type(exc)
    decision = _anthropic_table.DECISIONS[type(exc).__name__]
    expected = category_for_status(status) if decision == BY_STATUS else decision
    retryable = None
    if isinstance(expected, NoRetry):
        expected, retryable = expected.category, False
    assert isinstance(expected, ErrorCategory)
    result = classify(exc)
    assert expected == result.category
    assert (expected.retryable if retryable is None else retryable) == result.retryable
    assert status == result.status_code
    assert (code or "api_error") == result.error_code
    assert "anthropic" == result.provider
