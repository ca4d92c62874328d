"""``classify_http``: a full Classification from an HTTP answer, for users' own maps.

A map for a client the kit does not know usually has a status, headers and a body at hand. Built
here, its answer gets the same status rule, body codes (OpenAI/Anthropic ``error.code``/``type``,
Google ``error.status`` and ``details``, AWS ``x-amzn-ErrorType``/``__type``), wait hints
(``retry-after-ms``, ``retry-after``, rate-limit resets, ``x-amz-retry-after``, Google
``RetryInfo``), ``x-should-retry`` and redaction as the built-in maps.
"""

from __future__ import annotations

from collections.abc import Mapping

from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._bedrock import bedrock_category
from resilience_kit._classify._bodies import decode_json
from resilience_kit._classify._common import (
    body_error,
    refine_status,
    request_id_from,
    stream_category,
    text_field,
)
from resilience_kit._classify._google import RPC_STATUS, error_details, google_category, retry_delay
from resilience_kit._classify._headers import (
    parse_seconds,
    parse_should_retry,
    server_wait,
    snapshot,
)
from resilience_kit._classify._model import Classification
from resilience_kit._redact import redact
from resilience_kit.exceptions import ConfigurationError

__all__ = ["classify_http"]

_MAX_MESSAGE = 500


def classify_http(
    status: int | None,
    *,
    headers: object = None,
    body: object = None,
    provider: str | None = None,
    message: str | None = None,
    request_id: str | None = None,
    in_stream: bool = False,
) -> Classification:
    """Classify an HTTP error answer the way the built-in maps do; for your own exception maps.

    *status* is the HTTP status (``None`` when there is none, e.g. an error event inside a
    stream: then the body decides and ``in_stream`` is set, as it is for a status below 400).
    *headers* is any headers object (``httpx``/``requests`` headers, a dict, ``(name, value)``
    pairs). *body* is the error body: a dict, or JSON text/bytes (other text is only a message).
    *message* defaults to the body's message; it is redacted and cut to 500 characters.
    *request_id* defaults to the ``x-request-id``/``request-id``/``x-amzn-requestid`` header.

    Raises ``ConfigurationError`` for a *status* outside 100..599 or arguments of the wrong type.
    """
    _check(status, provider, message, request_id, in_stream)
    decoded = decode_json(body)
    inner = body_error(decoded)
    lowered = snapshot(headers)
    if message is None:
        message = text_field(inner, "message") or text_field(inner, "Message")
        if message is None and isinstance(body, (str, bytes)) and decoded is None:
            text = body if isinstance(body, str) else body.decode("utf-8", "replace")
            message = text[:_MAX_MESSAGE] or None
    in_stream = in_stream or status is None or status < 400
    category, error_code = _category(status, lowered, decoded, inner, message, in_stream)
    retryable = category.retryable
    should_retry = parse_should_retry(lowered)
    if should_retry is not None:
        retryable = should_retry
    return Classification(
        category=category,
        retryable=retryable,
        retry_after=_wait(status, lowered, decoded, message),
        status_code=status,
        provider=provider,
        error_code=error_code,
        request_id=request_id or request_id_from(lowered),
        in_stream=in_stream,
        message=redact(message or (f"HTTP {status}" if status is not None else ""))[:_MAX_MESSAGE],
    )


def _category(
    status: int | None,
    headers: Mapping[str, str],
    decoded: object,
    inner: Mapping[str, object],
    message: str | None,
    in_stream: bool,
) -> tuple[ErrorCategory, str | None]:
    rpc_status = text_field(inner, "status")
    if _google_shaped(inner, decoded):
        code = inner.get("code")
        number = code if isinstance(code, int) and not isinstance(code, bool) else None
        if not in_stream and status is not None:
            number = status
        return google_category(number, rpc_status, message, decoded), rpc_status
    aws_code = headers.get("x-amzn-errortype") or text_field(inner, "__type")
    if aws_code:
        code = aws_code.partition(":")[0].rpartition("#")[2]
        return bedrock_category(code, None if in_stream else status, message), code
    code = text_field(inner, "code")
    error_type = text_field(inner, "type")
    if in_stream or status is None:
        return stream_category(code, error_type, message), code or error_type
    return refine_status(status, code, error_type, message), code or error_type


def _wait(
    status: int | None, headers: Mapping[str, str], decoded: object, message: str | None
) -> float | None:
    """Google ``RetryInfo`` (or, in a Google-shaped body, "Please retry in Ns" in the message),
    then ``x-amz-retry-after``, then the standard headers."""
    hint = retry_delay(decoded, message if _google_shaped(body_error(decoded), decoded) else None)
    if hint is not None:
        return hint
    amz = parse_seconds(headers.get("x-amz-retry-after"), divisor=1000.0)
    if amz is not None and amz > 0:
        return amz
    return server_wait(headers, status_code=status)


def _google_shaped(inner: Mapping[str, object], decoded: object) -> bool:
    rpc_status = text_field(inner, "status")
    return (rpc_status is not None and rpc_status in RPC_STATUS) or bool(error_details(decoded))


def _check(
    status: object, provider: object, message: object, request_id: object, in_stream: object
) -> None:
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
    ):
        raise ConfigurationError("status", f"must be an int in 100..599 or None, got {status!r}")
    for name, value in (("provider", provider), ("message", message), ("request_id", request_id)):
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(name, f"must be a str or None, got {type(value).__name__}")
    if not isinstance(in_stream, bool):
        raise ConfigurationError("in_stream", f"must be a bool, got {type(in_stream).__name__}")
