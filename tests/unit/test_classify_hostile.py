"""Hostile error bodies: deep nesting and size never raise, and the status still decides."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import resilience_kit as rk
from resilience_kit import ErrorCategory as C
from resilience_kit._cli._main import main

DEEP_LIST = "[" * 1024 + "]" * 1024  # 2 KB
DEEP_DICT = '{"":' * 1100 + "1" + "}" * 1100  # 5.5 KB


class _HTTPError(Exception):
    """What a client the kit has no map for raises: a status and the body text."""

    def __init__(self, status_code: int, body: object) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.body = body


@pytest.mark.parametrize(
    "body", [DEEP_LIST, DEEP_DICT, DEEP_LIST.encode()], ids=["list", "dict", "bytes"]
)
@pytest.mark.parametrize("status", [503, 500, 429, 400])
def test_deep_body_is_classified_by_status(status: int, body: str | bytes) -> None:
    """A 2 KB deeply nested body raises nothing; classify_http and classify() fall back to the
    status, exactly as without a body (a 503 is not `unknown`)."""
    by_status = rk.classify_http(status)
    found = rk.classify_http(status, body=body)
    assert (by_status.category, by_status.retryable) == (found.category, found.retryable)
    via_classify = rk.classify(_HTTPError(status, body))
    assert (by_status.category, status) == (via_classify.category, via_classify.status_code)
    assert C.UNKNOWN != via_classify.category


def test_deep_text_inside_strings_is_still_read() -> None:
    """Brackets inside a quoted message do not count as nesting: the body is read (and a deep one
    next to it is not)."""
    body = json.dumps({"error": {"code": "insufficient_quota", "message": "[" * 500}})
    assert C.QUOTA == rk.classify_http(429, body=body).category
    assert C.RATE_LIMIT == rk.classify_http(429, body=DEEP_LIST).category


@settings(max_examples=200, deadline=None)
@given(
    depth=st.integers(min_value=0, max_value=5000),
    opener=st.sampled_from(["[", '{"a":', '{"error":', "(", "'["]),
    status=st.sampled_from([429, 500, 502, 503, 504, 529]),
)
def test_any_nesting_depth_never_raises(depth: int, opener: str, status: int) -> None:
    """Whatever the nesting, classify_http and classify() answer; 5xx and 429 keep their status
    category."""
    body = opener * depth
    expected = rk.classify_http(status).category
    assert expected == rk.classify_http(status, body=body).category
    assert expected == rk.classify(_HTTPError(status, body)).category


def test_explain_refuses_a_deep_pasted_body(capsys: pytest.CaptureFixture[str]) -> None:
    """`explain --body` with a 2 KB nested body: one line, exit 2, no RecursionError."""
    assert 2 == main(["explain", "--status", "503", "--body", DEEP_DICT])
    captured = capsys.readouterr()
    assert ("", 1) == (captured.out, len(captured.err.splitlines()))
    assert "nested deeper than 32 levels" in captured.err
