"""Server hints from response headers: formats, precedence, and garbage that must never crash."""

from __future__ import annotations

import datetime
import email.utils
import math

import httpx
import httpx2
import pytest
import requests.structures
from hypothesis import given
from hypothesis import strategies as st

from resilience_kit._classify._headers import (
    MAX_HINT,
    get_header,
    parse_go_duration,
    parse_http_date,
    parse_retry_after,
    parse_rfc3339_delay,
    parse_seconds,
    parse_should_retry,
    server_wait,
)

NOW = 1_800_000_000.0  # a fixed "time.time()" for date headers
T0 = datetime.datetime(2027, 1, 15, 8, 0, 0, tzinfo=datetime.timezone.utc).timestamp()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6m0s", 360.0),
        ("1.5s", 1.5),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("7.66s", 7.66),
        ("0", 0.0),
        ("0s", 0.0),
        ("250us", 0.00025),
        ("2m59.56s", 179.56),
        (" 1s ", 1.0),
        ("-1s", None),
        ("1", None),
        ("1x", None),
        ("s", None),
        ("", None),
        ("1s2", None),
        ("-1", None),
    ],
)
def test_go_durations(value: str, expected: float | None) -> None:
    """OpenAI's Go durations parse ("6m0s" is six minutes, not six seconds); garbage is None."""
    result = parse_go_duration(value)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("1.5", 1.5),
        (" 2 ", 2.0),
        ("0", 0.0),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("-inf", None),
        ("Infinity", None),
        ("1e999", MAX_HINT),
        ("1e12", MAX_HINT),
        ("soon", None),
        ("", None),
    ],
)
def test_seconds(value: str, expected: float | None) -> None:
    """Seconds: floats allowed; negative, NaN, literal inf are garbage; overflow clamps."""
    assert expected == parse_seconds(value)


def test_retry_after_http_date() -> None:
    """An HTTP-date is relative to now; a past date means "now" (0.0)."""
    future = email.utils.formatdate(NOW + 30, usegmt=True)
    past = email.utils.formatdate(NOW - 30, usegmt=True)
    assert 30.0 == parse_retry_after(future, now=NOW)
    assert 0.0 == parse_retry_after(past, now=NOW)
    assert parse_http_date("Mon, 99 Foo 2020 99:99:99 GMT", now=NOW) is None


def test_http_date_uses_time_at_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without *now*, ``time.time()`` is read at call time (freezegun and monkeypatch work)."""
    monkeypatch.setattr("time.time", lambda: NOW)
    assert 12.0 == parse_retry_after(email.utils.formatdate(NOW + 12, usegmt=True))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-01-15T08:00:10Z", 10.0),
        ("2027-01-15T08:00:10.500Z", 10.5),
        ("2027-01-15T09:00:10+01:00", 10.0),
        ("2027-01-15T07:00:10-01:00", 10.0),
        ("2027-01-15 08:00:10z", 10.0),
        ("2027-01-15T07:59:00Z", 0.0),
        ("2027-13-15T08:00:10Z", None),
        ("2027-01-15T08:00:10", None),
        ("tomorrow", None),
    ],
)
def test_rfc3339(value: str, expected: float | None) -> None:
    """Anthropic's RFC 3339 resets: offsets and fractions; past is 0.0; invalid dates are None."""
    now = T0
    assert expected == parse_rfc3339_delay(value, now=now)


def test_precedence_ms_then_seconds() -> None:
    """``retry-after-ms`` beats ``retry-after``; a garbage ``-ms`` falls back to ``retry-after``."""
    assert 0.25 == server_wait({"retry-after-ms": "250", "retry-after": "3"})
    assert 3.0 == server_wait({"retry-after-ms": "soon", "retry-after": "3"})
    assert server_wait({}) is None


def test_zero_or_past_is_no_hint() -> None:
    """Like the SDKs, a zero or past hint means "back off"; the next header is tried."""
    past = email.utils.formatdate(NOW - 30, usegmt=True)
    assert server_wait({"retry-after": "0"}) is None
    assert server_wait({"retry-after": past}, now=NOW) is None
    assert 5.0 == server_wait({"retry-after-ms": "0", "retry-after": "5"})
    headers = {
        "x-ratelimit-reset-requests": "0s",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-tokens": "2s",
    }
    assert 2.0 == server_wait(headers, status_code=429)


def test_reset_headers_only_for_429() -> None:
    """Reset headers explain a 429 only, and only when no retry-after is present."""
    headers = {"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s"}
    assert 360.0 == server_wait(headers, status_code=429)
    assert server_wait(headers, status_code=503) is None
    assert 2.0 == server_wait({**headers, "retry-after": "2"}, status_code=429)


def test_reset_of_the_exhausted_limit() -> None:
    """When a ``-remaining`` header reads 0, that limit's reset is the wait."""
    headers = {
        "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-tokens": "6m0s",
        "x-ratelimit-remaining-tokens": "1200",
    }
    assert 1.0 == server_wait(headers, status_code=429)


def test_anthropic_resets() -> None:
    """Anthropic's four reset headers: the exhausted one's reset counts."""
    now = T0
    headers = {
        "anthropic-ratelimit-requests-reset": "2027-01-15T08:00:30Z",
        "anthropic-ratelimit-input-tokens-remaining": "0",
        "anthropic-ratelimit-input-tokens-reset": "2027-01-15T08:00:05Z",
        "anthropic-ratelimit-output-tokens-reset": "garbage",
    }
    assert 5.0 == server_wait(headers, status_code=429, now=now)


@pytest.mark.parametrize(
    "headers",
    [
        httpx.Headers({"Retry-After": "5"}),
        httpx2.Headers({"Retry-After": "5"}),
        requests.structures.CaseInsensitiveDict({"Retry-After": "5"}),
        {"RETRY-AFTER": "5"},
        [("Retry-After", "5")],
        [(b"Retry-After", b"5")],
    ],
    ids=["httpx", "httpx2", "requests", "dict", "pairs", "bytes-pairs"],
)
def test_header_containers(headers: object) -> None:
    """Headers are read case-insensitively from every container the clients use."""
    assert 5.0 == server_wait(headers)


def test_get_header_odd_inputs() -> None:
    """None, strings, numbers and broken mappings give None instead of raising."""

    class Broken:
        def get(self, name: str) -> str:
            raise RuntimeError("broken")

    for odd in (None, "retry-after: 5", 42, Broken(), {"retry-after": 5}):
        assert get_header(odd, "retry-after") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False), ("TRUE", True), (" false ", False), ("maybe", None)],
)
def test_should_retry(value: str, expected: bool | None) -> None:
    """``x-should-retry``: true/false (any case); anything else is no opinion."""
    assert expected == parse_should_retry({"x-should-retry": value})
    assert parse_should_retry({}) is None


def _is_valid_wait(value: float | None) -> bool:
    return value is None or (math.isfinite(value) and 0.0 <= value <= MAX_HINT)


@given(st.text(max_size=300))
def test_arbitrary_strings_never_raise(text: str) -> None:
    """Any string in any hint header yields None or a finite wait >= 0, never an exception."""
    for parse in (parse_seconds, parse_retry_after, parse_go_duration, parse_rfc3339_delay):
        assert _is_valid_wait(parse(text))
    names = (
        "retry-after-ms",
        "retry-after",
        "x-ratelimit-reset-requests",
        "x-ratelimit-remaining-requests",
        "anthropic-ratelimit-tokens-reset",
        "anthropic-ratelimit-tokens-remaining",
    )
    for name in names:
        assert _is_valid_wait(server_wait({name: text}, status_code=429))
    assert parse_should_retry({"x-should-retry": text}) in {True, False, None}


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "retry-after-ms",
                "Retry-After",
                "x-ratelimit-reset-tokens",
                "x-ratelimit-remaining-tokens",
                "anthropic-ratelimit-requests-reset",
                "anthropic-ratelimit-requests-remaining",
            ]
        ),
        st.one_of(
            st.text(max_size=40),
            st.floats().map(str),
            st.integers().map(str),
            st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?(h|m|s|ms|us)", fullmatch=True),
            st.datetimes().map(lambda d: d.isoformat() + "Z"),
        ),
    ),
    st.sampled_from([None, 200, 429, 503]),
)
def test_arbitrary_header_sets(headers: dict[str, str], status: int | None) -> None:
    """Any mix of hint headers and status gives None or a finite, non-negative wait."""
    assert _is_valid_wait(server_wait(headers, status_code=status))


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_float_text(value: float) -> None:
    """Every float's text form (NaN, inf, negatives, huge) is a valid wait or None."""
    assert _is_valid_wait(parse_seconds(repr(value)))
    assert _is_valid_wait(parse_seconds(repr(value), divisor=1000.0))
