"""Wait hints and x-should-retry read exactly as the openai and anthropic SDKs read them."""

from __future__ import annotations

import math

import httpx2
import pytest

import resilience_kit as rk
from resilience_kit._classify._headers import MAX_HINT, parse_should_retry, server_wait
from resilience_kit.testing import no_wait
from tests.unit.sdk_errors import ANTHROPIC_CLIENT, OPENAI_CLIENT, openai_error

OPENAI_MAX = 120.0  # openai._constants.MAX_RETRY_AFTER_DELAY
ANTHROPIC_MAX = 60.0  # anthropic: a hint is used when 0 < hint <= 60

CASES: list[tuple[dict[str, str], float | None]] = [
    ({"retry-after-ms": "0", "retry-after": "5"}, None),
    ({"retry-after-ms": "-100", "retry-after": "5"}, None),
    ({"retry-after-ms": "nan", "retry-after": "5"}, None),
    ({"retry-after-ms": "NaN", "retry-after": "5"}, None),
    ({"retry-after-ms": "inf", "retry-after": "5"}, None),
    ({"retry-after-ms": "-inf", "retry-after": "5"}, None),
    ({"retry-after-ms": "abc", "retry-after": "5"}, 5.0),
    ({"retry-after-ms": "", "retry-after": "5"}, 5.0),
    ({"retry-after-ms": "1500", "retry-after": "5"}, 1.5),
    ({"retry-after": "0"}, None),
    ({"retry-after": "2.5"}, 2.5),
    ({"retry-after": "0" * 300 + "7"}, 7.0),
]


def _sdk_wait(client: object, headers: dict[str, str], cap: float) -> float | None:
    """The SDK's hint as its _calculate_retry_timeout uses it (None: back off)."""
    hint = client._parse_retry_after_header(httpx2.Headers(headers))  # type: ignore[attr-defined]
    if hint is not None and math.isfinite(hint) and 0 < hint <= cap:
        return float(hint)
    return None


@pytest.mark.parametrize(("headers", "expected"), CASES)
def test_hint_precedence_matches_both_sdks(headers: dict[str, str], expected: float | None) -> None:
    """A numeric retry-after-ms (even 0, negative, NaN, inf) ends the search, as in both SDKs."""
    assert expected == server_wait(headers, status_code=500)
    assert expected == _sdk_wait(OPENAI_CLIENT, headers, OPENAI_MAX)
    assert expected == _sdk_wait(ANTHROPIC_CLIENT, headers, ANTHROPIC_MAX)


@pytest.mark.parametrize("header", ["retry-after", "retry-after-ms"])
def test_a_400_digit_hint_is_an_overflow_not_no_hint(header: str) -> None:
    """A 400-digit number asks for forever: one year, which max_retry_after refuses."""
    headers = {header: "9" * 400}
    assert MAX_HINT == server_wait(headers, status_code=429)
    sdk = OPENAI_CLIENT._parse_retry_after_header(httpx2.Headers(headers))
    assert sdk is not None
    assert sdk > OPENAI_MAX  # the SDK refuses to retry it, too


def test_a_400_digit_retry_after_gives_up_at_once() -> None:
    """@retry refuses the overflowing hint (retry_after_too_long) instead of backing off."""
    calls = 0

    @rk.retry("openai")
    def call() -> None:
        nonlocal calls
        calls += 1
        raise openai_error(429, headers={"retry-after": "9" * 400})

    with no_wait(), pytest.raises(Exception, match="more than max_retry_after"):
        call()
    assert 1 == calls


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("false", False),
        ("True", None),
        ("TRUE", None),
        ("False", None),
        (" true", None),
        ("yes", None),
        ("1", None),
    ],
)
def test_should_retry_compared_as_the_sdks_compare_it(value: str, expected: bool | None) -> None:
    """x-should-retry is obeyed only for exactly "true" / "false" (the SDKs use ==)."""
    assert expected == parse_should_retry({"x-should-retry": value})
    response = httpx2.Response(500, headers={"x-should-retry": value})
    sdk_says = OPENAI_CLIENT._should_retry(response)
    assert (expected is not False) == sdk_says


@pytest.mark.parametrize("status", [400, 401, 404])
def test_should_retry_true_on_a_4xx_is_retried_as_the_sdks_do(status: int) -> None:
    """x-should-retry: true on a 400/401/404 is retried by @retry, as both SDKs retry it."""
    calls = 0

    @rk.retry("openai")
    def call() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise openai_error(status, headers={"x-should-retry": "true"})
        return "ok"

    with no_wait():
        assert "ok" == call()
    assert 3 == calls
    assert OPENAI_CLIENT._should_retry(httpx2.Response(status, headers={"x-should-retry": "true"}))
