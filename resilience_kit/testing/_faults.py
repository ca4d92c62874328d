"""What ``FakeLLMServer`` does instead of a normal answer: scripted, one per request."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from resilience_kit._checks import check_int, check_number
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.testing._headers import check_headers

__all__ = [
    "Fault",
    "FaultKind",
    "Provider",
    "check_faults",
    "check_latency",
    "error_body",
]

Provider: TypeAlias = Literal["openai", "anthropic", "gemini", "bedrock"]
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
GEMINI_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
"""The google.rpc status Gemini sends with each HTTP status."""
GEMINI_CODES: dict[str, int] = {name: code for code, name in GEMINI_STATUS.items()}
_GEMINI_MESSAGES: dict[str, str] = {
    "RESOURCE_EXHAUSTED": "Resource has been exhausted (e.g. check quota).",
    "UNAVAILABLE": "The model is overloaded. Please try again later.",
    "INTERNAL": "An internal error has occurred. Please retry or report the problem.",
    "DEADLINE_EXCEEDED": "Deadline expired before operation could complete.",
    "INVALID_ARGUMENT": "Request contains an invalid argument.",
    "UNAUTHENTICATED": "Request had invalid authentication credentials.",
    "PERMISSION_DENIED": "The caller does not have permission.",
    "NOT_FOUND": "Requested entity was not found.",
}
BEDROCK_CODES: dict[int, str] = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
"""The error code Bedrock Runtime sends with each HTTP status (its service model)."""
BEDROCK_STATUS: dict[str, int] = {
    **{code: status for status, code in BEDROCK_CODES.items()},
    "ModelNotReadyException": 429,
    "ModelStreamErrorException": 424,
    "ServiceQuotaExceededException": 400,
    "ConflictException": 400,
}
_BEDROCK_MESSAGES: dict[str, str] = {
    "ThrottlingException": "Too many requests, please wait before trying again.",
    "ServiceUnavailableException": "Bedrock is unable to process your request.",
    "InternalServerException": "The system encountered an unexpected error during processing.",
    "ModelTimeoutException": "Model has timed out in processing the request.",
    "ModelStreamErrorException": "The model stream was interrupted. Retry your request.",
    "ModelNotReadyException": "Model is not ready for inference. Wait and try your request again.",
    "ValidationException": "Malformed input request, please reformat your input and try again.",
    "AccessDeniedException": "You don't have access to the model with the specified model ID.",
    "ResourceNotFoundException": "Could not resolve the foundation model from the identifier.",
    "ServiceQuotaExceededException": "Your request exceeds the service quota for your account.",
}


def bedrock_code(name: str) -> str:
    """``throttlingException`` (event type) or ``ThrottlingException`` (code) as the code."""
    return name[:1].upper() + name[1:]


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
    details: tuple[Mapping[str, Any], ...] = ()
    after_bytes: int | None = None

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
        details: list[Mapping[str, Any]] | tuple[Mapping[str, Any], ...] = (),
    ) -> Fault:
        """Answer *status_code* with *headers* and a provider-shaped error body.

        *code* is OpenAI's ``error.code`` or Anthropic's ``error.details.error_code``; *type* is
        the ``error.type`` (OpenAI, Anthropic), the RPC ``error.status`` (Gemini, e.g.
        ``RESOURCE_EXHAUSTED``) or the error code (Bedrock, e.g. ``ThrottlingException``), with
        a per-status default otherwise. *details* are Gemini's ``error.details`` entries
        (``google.rpc.RetryInfo``, ``QuotaFailure``, ...). *body* replaces the whole body (a dict
        is sent as JSON, a str or bytes as is). *delay* waits before answering.
        """
        return cls(
            "status",
            status_code=_check_status(status_code),
            headers=check_headers(headers or {}),
            code=code,
            type=type,
            message=message,
            body=body,
            seconds=_check_seconds(delay, "delay"),
            details=_check_details(details),
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
        ``event: error`` (type ``overloaded_error`` by default); Gemini: ``data: {"error": ...}``
        (RPC status ``UNAVAILABLE`` by default); Bedrock: an event-stream exception message
        (``modelStreamErrorException`` by default). A non-streaming request gets the matching
        status error (see `non_stream_error()`) instead.
        """
        return cls("stream_error", after=_check_after(after), type=type, message=message, code=code)

    @classmethod
    def stream_cut(cls, *, after: int = 0, after_bytes: int | None = None) -> Fault:
        """Stream *after* content chunks, then close the connection mid-body; with
        *after_bytes*, close it after that many bytes of the body instead (inside an event
        when the count falls there).

        A non-streaming request gets its connection dropped instead.
        """
        if after_bytes is not None:
            return cls("stream_cut", after=-1, after_bytes=check_int("after_bytes", after_bytes, 0))
        return cls("stream_cut", after=_check_after(after))


def non_stream_error(fault: Fault, provider: Provider) -> Fault:
    """The status error a non-streaming request gets for a ``stream_error`` fault."""
    kind = fault.type
    if provider == "anthropic":
        status = 529
    elif provider == "gemini":
        kind = kind or "UNAVAILABLE"
        status = GEMINI_CODES.get(kind, 503)
    elif provider == "bedrock":
        kind = bedrock_code(kind or "modelStreamErrorException")
        status = BEDROCK_STATUS.get(kind, 500)
    else:
        status = 500
    return Fault.status(status, type=kind, message=fault.message, code=fault.code)


def _check_details(details: object) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(details, (list, tuple)) or not all(isinstance(d, Mapping) for d in details):
        raise ConfigurationError("details", f"must be a list of dicts, got {details!r}")
    return tuple(dict(entry) for entry in details)


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
    if provider == "gemini":
        return gemini_payload(fault)
    if provider == "bedrock":
        return {"message": bedrock_error(fault)[1]}
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


def gemini_payload(fault: Fault) -> dict[str, Any]:
    """Gemini's error envelope ``{"error": {"code", "message", "status", "details"}}``."""
    if fault.kind == "status":
        rpc = fault.type or GEMINI_STATUS.get(
            fault.status_code, "INTERNAL" if fault.status_code >= 500 else "INVALID_ARGUMENT"
        )
        code = fault.status_code
    else:  # an error chunk inside a stream
        rpc = fault.type or "UNAVAILABLE"
        code = GEMINI_CODES.get(rpc, 500)
    message = fault.message or _GEMINI_MESSAGES.get(rpc) or default_message(code)
    error: dict[str, Any] = {"code": code, "message": message, "status": rpc}
    if fault.details:
        error["details"] = [dict(entry) for entry in fault.details]
    return {"error": error}


def bedrock_error(fault: Fault) -> tuple[str, str]:
    """(error code, message) of a Bedrock error for *fault*."""
    if fault.kind == "status":
        code = fault.type or BEDROCK_CODES.get(
            fault.status_code,
            "InternalServerException" if fault.status_code >= 500 else "ValidationException",
        )
    else:
        code = fault.type or "modelStreamErrorException"
    code = bedrock_code(code)
    status = fault.status_code if fault.kind == "status" else BEDROCK_STATUS.get(code, 500)
    message = fault.message or _BEDROCK_MESSAGES.get(code) or default_message(status)
    return code, message


def check_latency(value: object) -> tuple[float, float] | None:
    """``FakeLLMServer(latency=...)``: ``(low, high)`` seconds, or None."""
    if value is None:
        return None
    problem = ConfigurationError(
        "latency", f"must be (low, high) seconds with 0 <= low <= high, got {value!r}"
    )
    if not isinstance(value, tuple) or len(value) != 2:
        raise problem
    numbers: list[float] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise problem
        numbers.append(float(item))
    low, high = numbers
    if not 0 <= low <= high < math.inf:
        raise problem
    return low, high


def check_faults(faults: tuple[object, ...]) -> tuple[Fault, ...]:
    """*faults*, each a `Fault`, or a ``ConfigurationError``."""
    checked: list[Fault] = []
    for fault in faults:
        if not isinstance(fault, Fault):
            raise ConfigurationError("faults", f"must be Fault objects, got {type(fault).__name__}")
        check_headers(fault.headers)  # a Fault built without Fault.status()
        checked.append(fault)
    return tuple(checked)
