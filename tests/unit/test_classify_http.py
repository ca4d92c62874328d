"""classify() on raw HTTP client errors (httpx, httpx2, requests) and Python's own errors."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any

import httpx
import httpx2
import pytest
import requests

from resilience_kit import ErrorCategory, classify

C = ErrorCategory
URL = "https://example.invalid/v1/x"


def _status_error(mod: ModuleType, status: int, headers: dict[str, str]) -> Any:
    request = mod.Request("GET", URL)
    response = mod.Response(status, request=request, headers=headers)
    return mod.HTTPStatusError("boom", request=request, response=response)


@pytest.mark.parametrize("mod", [httpx, httpx2], ids=["httpx", "httpx2"])
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, C.BAD_REQUEST),
        (401, C.AUTH),
        (402, C.QUOTA),
        (403, C.PERMISSION),
        (404, C.NOT_FOUND),
        (408, C.TIMEOUT),
        (409, C.CONFLICT),
        (418, C.BAD_REQUEST),
        (429, C.RATE_LIMIT),
        (500, C.SERVER),
        (503, C.OVERLOADED),
        (529, C.OVERLOADED),
    ],
)
def test_httpx_status(mod: ModuleType, status: int, expected: ErrorCategory) -> None:
    """``HTTPStatusError`` is classified by status with headers, in both httpx packages."""
    exc = _status_error(mod, status, {"retry-after": "4", "x-request-id": "req_h"})
    result = classify(exc)
    assert expected == result.category
    assert status == result.status_code
    assert 4.0 == result.retry_after
    assert "req_h" == result.request_id
    assert mod.__name__ == result.provider


@pytest.mark.parametrize("mod", [httpx, httpx2], ids=["httpx", "httpx2"])
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ConnectTimeout", C.TIMEOUT),
        ("ReadTimeout", C.TIMEOUT),
        ("WriteTimeout", C.TIMEOUT),
        ("PoolTimeout", C.TIMEOUT),
        ("ConnectError", C.CONNECTION),
        ("ReadError", C.CONNECTION),
        ("WriteError", C.CONNECTION),
        ("CloseError", C.CONNECTION),
        ("RemoteProtocolError", C.CONNECTION),
        ("ProxyError", C.CONNECTION),
        ("UnsupportedProtocol", C.UNKNOWN),
        ("DecodingError", C.UNKNOWN),
    ],
)
def test_httpx_transport(mod: ModuleType, name: str, expected: ErrorCategory) -> None:
    """Transport errors: timeouts, network and protocol failures; others stay UNKNOWN."""
    result = classify(getattr(mod, name)("boom"))
    assert expected == result.category
    assert (expected is not C.UNKNOWN) == result.retryable


def test_httpx2_should_retry_header() -> None:
    """``x-should-retry: false`` on a 503 makes it not retryable."""
    result = classify(_status_error(httpx2, 503, {"x-should-retry": "false"}))
    assert C.OVERLOADED == result.category
    assert result.retryable is False


def _requests_error(status: int, headers: dict[str, str]) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    return requests.HTTPError("boom", response=response)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, C.BAD_REQUEST),
        (401, C.AUTH),
        (429, C.RATE_LIMIT),
        (502, C.SERVER),
        (503, C.OVERLOADED),
    ],
)
def test_requests_http_error(status: int, expected: ErrorCategory) -> None:
    """``requests.HTTPError`` is classified by its response's status and headers."""
    result = classify(_requests_error(status, {"Retry-After-Ms": "1500", "Request-Id": "r1"}))
    assert expected == result.category
    assert 1.5 == result.retry_after
    assert "r1" == result.request_id
    assert "requests" == result.provider


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (requests.ConnectTimeout("x"), C.TIMEOUT),
        (requests.ReadTimeout("x"), C.TIMEOUT),
        (requests.ConnectionError("x"), C.CONNECTION),
        (requests.exceptions.SSLError("x"), C.CONNECTION),
        (requests.exceptions.ChunkedEncodingError("x"), C.CONNECTION),
        (requests.HTTPError("no response"), C.UNKNOWN),
        (requests.exceptions.InvalidURL("x"), C.UNKNOWN),
    ],
)
def test_requests_transport(exc: BaseException, expected: ErrorCategory) -> None:
    """``ConnectTimeout`` (both a timeout and a connection error) is TIMEOUT; the rest as named."""
    assert expected == classify(exc).category


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TimeoutError(), C.TIMEOUT),
        (asyncio.TimeoutError(), C.TIMEOUT),
        (ConnectionResetError(), C.CONNECTION),
        (ConnectionRefusedError(), C.CONNECTION),
        (ValueError("x"), C.UNKNOWN),
    ],
)
def test_builtins(exc: BaseException, expected: ErrorCategory) -> None:
    """Python's own timeouts and connection errors; anything else is UNKNOWN and not retried."""
    result = classify(exc)
    assert expected == result.category
    assert expected.retryable == result.retryable


def test_wrapped_cause_is_followed() -> None:
    """An unknown wrapper whose ``__cause__`` is a known error is classified by the cause."""
    outer = RuntimeError("wrapper")
    outer.__cause__ = httpx2.ReadTimeout("slow")
    result = classify(outer)
    assert C.TIMEOUT == result.category
    assert "httpx2" == result.provider
