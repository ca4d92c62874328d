"""register_exception_map(): users classify their own clients' errors, ahead of the built-ins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from resilience_kit import Classification, ErrorCategory, classify, register_exception_map
from tests.unit.sdk_errors import openai_error

C = ErrorCategory


class MyClientError(Exception):
    """A user's client error."""


class MyThrottleError(MyClientError):
    """A more specific one."""


@pytest.fixture
def unregister() -> Iterator[list[Any]]:
    """Collects unregister callbacks and runs them after the test."""
    callbacks: list[Any] = []
    yield callbacks
    for callback in callbacks:
        callback()


def test_dict_map_most_specific_wins(unregister: list[Any]) -> None:
    """A dict map matches through the MRO; the most specific class listed wins."""
    unregister.append(
        register_exception_map(
            {MyClientError: C.SERVER, MyThrottleError: C.RATE_LIMIT}, name="test-dict"
        )
    )
    assert C.RATE_LIMIT == classify(MyThrottleError()).category
    assert C.SERVER == classify(MyClientError()).category
    assert C.UNKNOWN == classify(ValueError()).category


def test_callable_map_returns_category_or_classification(unregister: list[Any]) -> None:
    """A callable map may return a category, a full Classification, or None."""

    def mapper(exc: BaseException) -> Classification | ErrorCategory | None:
        if isinstance(exc, MyThrottleError):
            return Classification(category=C.RATE_LIMIT, retryable=True, retry_after=9.0)
        if isinstance(exc, MyClientError):
            return C.AUTH
        return None

    unregister.append(register_exception_map(mapper, name="test-callable"))
    assert 9.0 == classify(MyThrottleError()).retry_after
    assert C.AUTH == classify(MyClientError()).category
    assert C.TIMEOUT == classify(TimeoutError()).category


def test_user_map_wins_over_builtin(unregister: list[Any]) -> None:
    """A user's map overrides the built-in openai decision; unregistering restores it."""
    exc = openai_error(429, code="insufficient_quota")
    assert C.QUOTA == classify(exc).category
    undo = register_exception_map(lambda e: C.RATE_LIMIT, name="test-override")
    assert C.RATE_LIMIT == classify(exc).category
    undo()
    assert C.QUOTA == classify(exc).category


def test_duplicate_name_is_an_error(unregister: list[Any]) -> None:
    """Registering a second map under a taken name raises instead of overwriting."""
    unregister.append(register_exception_map({MyClientError: C.SERVER}, name="test-dup"))
    with pytest.raises(ValueError, match="test-dup"):
        register_exception_map({MyClientError: C.AUTH}, name="test-dup")
    assert C.SERVER == classify(MyClientError()).category


def test_bad_maps_are_rejected() -> None:
    """Empty names, non-exception keys, non-category values and non-callables are errors."""
    with pytest.raises(ValueError, match="name"):
        register_exception_map({MyClientError: C.SERVER}, name="")
    with pytest.raises(TypeError, match="not an exception type"):
        register_exception_map({"x": C.SERVER}, name="test-bad-key")  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="ErrorCategory"):
        register_exception_map({MyClientError: "server"}, name="test-bad-value")  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="callable"):
        register_exception_map(42, name="test-bad-type")  # type: ignore[arg-type]


def test_broken_user_map_falls_through(unregister: list[Any]) -> None:
    """A map that raises is skipped; the built-ins still answer."""

    def broken(exc: BaseException) -> ErrorCategory:
        raise RuntimeError("bug in user map")

    unregister.append(register_exception_map(broken, name="test-broken"))
    assert C.TIMEOUT == classify(TimeoutError()).category


def test_classify_never_raises_on_broken_str() -> None:
    """An exception whose ``__str__`` raises still classifies, named by its type."""

    class WeirdError(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    result = classify(WeirdError())
    assert C.UNKNOWN == result.category
    assert "WeirdError" == result.message


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("key sk-proj-abcdefghijklmnopqrstuv rejected", "abcdefghijklmnopqrstuv"),
        ("key sk-ant-api03-abcdefghijklmnop rejected", "abcdefghijklmnop"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
        ("x-api-key: supersecretvalue123", "supersecretvalue123"),
        ("{'x-api-key': 'supersecretvalue123'}", "supersecretvalue123"),
    ],
)
def test_message_redaction(text: str, secret: str) -> None:
    """Keys, bearer tokens and x-api-key values never reach ``Classification.message``."""
    result = classify(ConnectionError(text))
    assert secret not in result.message
    assert "***" in result.message
