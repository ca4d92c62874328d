"""Raw HTTP clients: ``httpx``, ``httpx2`` (what openai/anthropic use now) and ``requests``.

The module of each client is already in ``sys.modules`` when one of its exceptions exists, so it is
looked up there, never imported. Statuses follow the shared rule in ``_common`` (no body parsing:
a raw client's body format is unknown), with the response's wait hints and ``x-should-retry``.
"""

from __future__ import annotations

import sys
from types import ModuleType

from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._common import category_for_status, from_response
from resilience_kit._classify._dispatch import Classification, make

DECISIONS: dict[str, str] = {
    "HTTPStatusError": "by status",
    "TimeoutException": "timeout (ConnectTimeout, ReadTimeout, WriteTimeout, PoolTimeout)",
    "NetworkError": "connection (ConnectError, ReadError, WriteError, CloseError)",
    "RemoteProtocolError": "connection (peer closed the connection mid-body)",
    "ProxyError": "connection",
}
"""Documentation of the httpx/httpx2 map; every other httpx error is left UNKNOWN (not retried)."""


def _module(name: str) -> ModuleType | None:
    return sys.modules.get(name)


def _httpx_like(exc: BaseException, provider: str) -> Classification | None:
    mod = _module(provider)
    if mod is None:  # pragma: no cover - the exception's own module is always loaded
        return None
    if isinstance(exc, mod.HTTPStatusError):
        return _from_response(exc, exc.response, provider)
    if isinstance(exc, mod.TimeoutException):
        return make(ErrorCategory.TIMEOUT, exc, provider=provider)
    if isinstance(exc, (mod.NetworkError, mod.RemoteProtocolError, mod.ProxyError)):
        return make(ErrorCategory.CONNECTION, exc, provider=provider)
    return None


def classify_httpx(exc: BaseException) -> Classification | None:
    """``httpx`` (the legacy package that groq, cohere and others still use)."""
    return _httpx_like(exc, "httpx")


def classify_httpx2(exc: BaseException) -> Classification | None:
    """``httpx2``: the transport of openai and anthropic; their streams leak its errors raw."""
    return _httpx_like(exc, "httpx2")


def classify_requests(exc: BaseException) -> Classification | None:
    """``requests``: ``HTTPError`` by status, ``Timeout``, ``ConnectionError``, broken streams."""
    mod = _module("requests")
    if mod is None:  # pragma: no cover - the exception's own module is always loaded
        return None
    errors = mod.exceptions
    if isinstance(exc, errors.HTTPError) and exc.response is not None:
        return _from_response(exc, exc.response, "requests")
    # ConnectTimeout is both a ConnectionError and a Timeout: a timeout it is.
    if isinstance(exc, errors.Timeout):
        return make(ErrorCategory.TIMEOUT, exc, provider="requests")
    if isinstance(exc, (errors.ConnectionError, errors.ChunkedEncodingError)):
        return make(ErrorCategory.CONNECTION, exc, provider="requests")
    return None


def _from_response(exc: BaseException, response: object, provider: str) -> Classification:
    status = getattr(response, "status_code", None)
    status_code = status if isinstance(status, int) else None
    category = ErrorCategory.UNKNOWN if status_code is None else category_for_status(status_code)
    return from_response(
        exc,
        category,
        provider=provider,
        status_code=status_code,
        headers=getattr(response, "headers", None),
    )
