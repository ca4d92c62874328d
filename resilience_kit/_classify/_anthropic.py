"""The ``anthropic`` SDK's exceptions (checked against anthropic 2.12).

``anthropic`` is never imported here (see ``_openai``). Decisions live in ``_anthropic_table``.
Facts this map rests on:

- ``APIStatusError`` with ``status_code == 200`` is an SSE ``event: error`` after the stream began;
  the cause is only in ``exc.type`` (``overloaded_error``, ``api_error``, ...), so it is read there
  and ``in_stream`` is set. It is never an ``OverloadedError``.
- A dropped stream leaks a raw ``httpx2.RemoteProtocolError`` (classified by the httpx2 map).
- Spend limits arrive as subclasses of ``RateLimitError`` and are billing stops (QUOTA).
"""

from __future__ import annotations

from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._anthropic_table import DECISIONS
from resilience_kit._classify._common import (
    BY_BODY,
    BY_CAUSE,
    BY_STATUS,
    body_error,
    decide,
    status_error,
    stream_category,
    text_field,
    timed_out,
)
from resilience_kit._classify._dispatch import Classification, classify, make

PROVIDER = "anthropic"


def classify_anthropic(exc: BaseException) -> Classification | None:
    """Classify an ``anthropic`` exception; ``None`` for a class the table does not know."""
    decision = decide(exc, DECISIONS, "anthropic")
    if decision is None:
        return None
    has_response = isinstance(getattr(exc, "status_code", None), int) and hasattr(exc, "response")
    if has_response and decision in {BY_STATUS, BY_BODY}:
        return _status(exc, None)
    if decision == BY_BODY:
        return _body_only(exc)
    if decision == BY_CAUSE:
        return _by_cause(exc)
    if not isinstance(decision, ErrorCategory):  # pragma: no cover - the table holds no others
        return None
    if has_response:
        return _status(exc, decision)
    if decision is ErrorCategory.CONNECTION and timed_out(exc.__cause__):
        decision = ErrorCategory.TIMEOUT
    return make(decision, exc, provider=PROVIDER)


def _fields(exc: BaseException) -> tuple[str | None, str | None, str | None]:
    inner = body_error(getattr(exc, "body", None))
    code = getattr(exc, "error_code", None)
    error_type = getattr(exc, "type", None)
    message = getattr(exc, "api_message", None) or text_field(inner, "message")
    return (
        code if isinstance(code, str) else None,
        error_type if isinstance(error_type, str) else text_field(inner, "type"),
        message if isinstance(message, str) else getattr(exc, "message", None),
    )


def _status(exc: BaseException, fixed: ErrorCategory | None) -> Classification:
    code, error_type, message = _fields(exc)
    return status_error(
        exc,
        provider=PROVIDER,
        code=code,
        error_type=error_type,
        message=message,
        fixed=fixed,
    )


def _body_only(exc: BaseException) -> Classification:
    code, error_type, message = _fields(exc)
    return make(
        stream_category(code, error_type, message),
        exc,
        provider=PROVIDER,
        error_code=code or error_type,
        in_stream=True,
    )


def _by_cause(exc: BaseException) -> Classification | None:
    if type(exc).__name__ != "RetryableError":
        return None  # a base class: the classifier follows __cause__ next
    cause = exc.__cause__
    if cause is not None and cause is not exc:
        inner = classify(cause)
        if inner.category is not ErrorCategory.UNKNOWN:
            return inner.with_changes(retryable=True)
    # The middleware asked for a retry without saying why: treat it as a server-side failure.
    return make(ErrorCategory.SERVER, exc, retryable=True, provider=PROVIDER)
