"""Every exception class the installed openai and anthropic SDKs export has an explicit decision.

When an SDK upgrade adds an error class, these tests fail and name it: decide its category in
``resilience_kit/_classify/_openai.py`` or ``_anthropic_table.py`` (and the README table).
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType

import anthropic
import anthropic._error_classes
import openai
import pytest

from resilience_kit import ErrorCategory, classify
from resilience_kit._classify import _anthropic_table, _openai
from resilience_kit._classify._common import BY_BODY, BY_CAUSE, BY_STATUS, category_for_status
from tests.unit.sdk_errors import ANTHROPIC_CLIENT, ANTHROPIC_URL, response

DECISION_VALUES = {BY_STATUS, BY_BODY, BY_CAUSE, *ErrorCategory}


def _exported_exceptions(package: ModuleType, module_names: list[str]) -> dict[str, type]:
    """Exception classes of *package*: public names, the modules that define errors, subclasses.

    Subclasses are found in every module of the SDK loaded so far, so a new error module that is
    imported anywhere shows up here even before it is added to ``ERROR_MODULES``.
    """
    found: dict[str, type] = {}
    modules = [package, *(importlib.import_module(name) for name in module_names)]
    for module in modules:
        for name in dir(module):
            value = getattr(module, name, None)
            if inspect.isclass(value) and issubclass(value, BaseException):
                found[value.__name__] = value
    pending = list(found.values())
    while pending:  # subclasses defined in any loaded module of the SDK
        for sub in pending.pop().__subclasses__():
            if sub.__name__ not in found:
                found[sub.__name__] = sub
                pending.append(sub)
    top = package.__name__
    return {name: cls for name, cls in found.items() if cls.__module__.partition(".")[0] == top}


OPENAI_CLASSES = _exported_exceptions(openai, list(_openai.ERROR_MODULES))
ANTHROPIC_CLASSES = _exported_exceptions(anthropic, list(_anthropic_table.ERROR_MODULES))


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
    assert [] == sorted(name for name, value in table.items() if value not in DECISION_VALUES)


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
    result = classify(exc)
    assert expected == result.category
    assert status == result.status_code
    assert (code or "api_error") == result.error_code
    assert "anthropic" == result.provider
