"""What ``FakeLLMServer`` does instead of a normal answer: scripted, one per request."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from resilience_kit._checks import check_int, check_number

__all__ = ["Fault", "FaultKind", "Provider", "error_body"]

Provider: TypeAlias = Literal["openai", "anthropic"]
FaultKind: TypeAlias = Literal["ok", "status", "delay", "drop", "stream_error", "stream_cut"]

# Error "type" each provider sends for a status when the script names none.
_OPENAI_TYPES: dict[int, str] = {
    401: "invalid_request_error",
    403: "permission_error",
    429: "requests",
}
_ANTHROPIC_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_OPENAI_QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
    }
)


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted behaviour of the fake server; build it with the class methods.

    ``Fault.status(...)`` answers an HTTP error, ``Fault.delay(s)`` waits then answers normally,
    ``Fault.drop()`` closes the connection without answering, ``Fault.stream_error(after=n)`` and
    ``Fault.stream_cut(after=n)`` break a streamed answer after *n* content chunks, and
    ``Fault.ok()`` is an explicit normal answer.
    """

    kind: FaultKind
    status_code: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    code: str | None = None
    type: str | None = None
    message: str | None = None
    body: Any = None
    seconds: float = 0.0
    after: int = 0

    @classmethod
    def ok(cls) -> Fault:
        """A normal answer (useful to interleave successes in a script)."""
        return cls("ok")

    @classmethod
    def status(
        cls,
        status_code: int,
        *,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
        type: str | None = None,  # the providers call this field "type"
        message: str | None = None,
        body: Any = None,
        delay: float = 0.0,
    ) -> Fault:
        """Answer *status_code* with *headers* and a provider-shaped error body.

        *code* is OpenAI's ``error.code`` or Anthropic's ``error.details.error_code``; *type* is
        the ``error.type`` (a per-status default otherwise). *body* replaces the whole body (a
        dict is sent as JSON, a str or bytes as is). *delay* waits before answering.
        """
        return cls(
            "status",
            status_code=_check_status(status_code),
            headers=dict(headers or {}),
            code=code,
            type=type,
            message=message,
            body=body,
            seconds=_check_seconds(delay, "delay"),
        )

    @classmethod
    def delay(cls, seconds: float, *, after: int | None = None) -> Fault:
        """Wait *seconds*, then answer normally; with *after*, stall a stream after that chunk."""
        return cls(
            "delay",
            seconds=_check_seconds(seconds, "seconds"),
            after=-1 if after is None else _check_after(after),
        )

    @classmethod
    def drop(cls, *, delay: float = 0.0) -> Fault:
        """Read the request, then close the connection without sending a response."""
        return cls("drop", seconds=_check_seconds(delay, "delay"))

    @classmethod
    def stream_error(
        cls,
        *,
        after: int = 0,
        type: str | None = None,  # the providers call this field "type"
        message: str | None = None,
        code: str | None = None,
    ) -> Fault:
        """Stream *after* content chunks, then the provider's in-stream error event.

        OpenAI: ``data: {"error": {...}}`` (type ``server_error`` by default); Anthropic:
        ``event: error`` (type ``overloaded_error`` by default). A non-streaming request gets the
        matching status error (500 / 529) instead.
        """
        return cls("stream_error", after=_check_after(after), type=type, message=message, code=code)

    @classmethod
    def stream_cut(cls, *, after: int = 0) -> Fault:
        """Stream *after* content chunks, then close the connection mid-body.

        A non-streaming request gets its connection dropped instead.
        """
        return cls("stream_cut", after=_check_after(after))


def _check_status(status_code: object) -> int:
    return check_int("status_code", status_code, 100, 599)


def _check_seconds(seconds: object, name: str) -> float:
    return check_number(name, seconds, at_least=0.0, below=3600.0)


def _check_after(after: object) -> int:
    return check_int("after", after, 0)


def default_message(status_code: int) -> str:
    """A short provider-like message for *status_code*."""
    return {
        400: "Invalid request",
        401: "Incorrect API key provided",
        402: "Your credit balance is too low",
        403: "Permission denied",
        404: "The model does not exist",
        408: "Request timed out",
        409: "Conflict",
        413: "Request too large",
        422: "Unprocessable entity",
        429: "Rate limit reached",
        500: "The server had an error while processing your request",
        502: "Bad gateway",
        503: "The engine is currently overloaded, please try again later",
        504: "Gateway timeout",
        529: "Overloaded",
    }.get(status_code, f"HTTP {status_code}")


def error_body(fault: Fault, provider: Provider, request_id: str) -> bytes:
    """The body of a status fault, shaped like *provider*'s real error responses."""
    if fault.body is not None:
        if isinstance(fault.body, bytes):
            return fault.body
        if isinstance(fault.body, str):
            return fault.body.encode()
        return json.dumps(fault.body).encode()
    return json.dumps(error_payload(fault, provider, request_id)).encode()


def error_payload(fault: Fault, provider: Provider, request_id: str | None) -> dict[str, Any]:
    """The JSON error envelope for *fault* in *provider*'s format."""
    status = fault.status_code if fault.kind == "status" else 500
    message = fault.message if fault.message is not None else default_message(status)
    if provider == "openai":
        kind = fault.type
        if kind is None:
            if fault.code in _OPENAI_QUOTA_CODES:
                kind = "insufficient_quota"
            elif fault.kind == "stream_error":
                kind = "server_error"
            else:
                kind = _OPENAI_TYPES.get(
                    status, "server_error" if status >= 500 else "invalid_request_error"
                )
        return {"error": {"message": message, "type": kind, "param": None, "code": fault.code}}
    kind = fault.type
    if kind is None:
        if fault.kind == "stream_error":
            kind = "overloaded_error"
        else:
            kind = _ANTHROPIC_TYPES.get(
                status, "api_error" if status >= 500 else "invalid_request_error"
            )
    if fault.kind == "stream_error" and fault.message is None:
        message = "Overloaded" if kind == "overloaded_error" else "Internal server error"
    error: dict[str, Any] = {"type": kind, "message": message}
    if fault.code is not None:
        error["details"] = {"error_code": fault.code}
    payload: dict[str, Any] = {"type": "error", "error": error}
    if request_id is not None:
        payload["request_id"] = request_id
    return payload
