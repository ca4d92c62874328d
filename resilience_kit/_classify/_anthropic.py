"""The ``anthropic`` SDK's exceptions (checked against anthropic 2.17).

``anthropic`` is never imported here (see ``_openai``). Decisions live in ``_anthropic_table``.
Facts this map rests on:

- ``APIStatusError`` with ``status_code == 200`` is an SSE ``event: error`` after the stream began;
  the cause is only in ``exc.type`` (``overloaded_error``, ``api_error``, ...), so it is read there
  and ``in_stream`` is set. It is never an ``OverloadedError``.
- A dropped stream is an ``APIConnectionError`` caused by ``httpx2.RemoteProtocolError``
  (anthropic 2.17); up to 2.15 the raw error leaked (classified by the httpx2 map).
- Spend limits arrive as subclasses of ``RateLimitError`` and are billing stops (QUOTA).
"""

from __future__ import annotations

from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._anthropic_table import DECISIONS
from resilience_kit._classify._common import (
    BY_BODY,
    BY_CAUSE,
    BY_STATUS,
    ErrorFields,
    NoRetry,
    body_error,
    decide,
    status_error_of,
    stream_error_of,
    text_field,
    timed_out,
)
from resilience_kit._classify._model import Classification, FollowCause, make

PROVIDER = "anthropic"


def classify_anthropic(exc: BaseException) -> Classification | FollowCause | None:
    """Classify an ``anthropic`` exception; ``None`` for a class the table does not know."""
    decision = decide(exc, DECISIONS, "anthropic")
    if decision is None:
        return None
    has_response = isinstance(getattr(exc, "status_code", None), int) and hasattr(exc, "response")
    if has_response and decision in {BY_STATUS, BY_BODY}:
        return status_error_of(exc, PROVIDER, _fields(exc))
    if decision == BY_BODY:
        return stream_error_of(exc, PROVIDER, _fields(exc))
    if decision == BY_CAUSE:
        return _by_cause(exc)
    retryable: bool | None = None
    if isinstance(decision, NoRetry):
        decision, retryable = decision.category, False
    if not isinstance(decision, ErrorCategory):  # pragma: no cover - the table holds no others
        return None
    if has_response:
        return status_error_of(exc, PROVIDER, _fields(exc), decision, retryable=retryable)
    if decision is ErrorCategory.CONNECTION and timed_out(exc.__cause__):
        decision = ErrorCategory.TIMEOUT
    return make(decision, exc, retryable=retryable, provider=PROVIDER)


def _fields(exc: BaseException) -> ErrorFields:
    inner = body_error(getattr(exc, "body", None))
    code = getattr(exc, "error_code", None)
    error_type = getattr(exc, "type", None)
    message = getattr(exc, "api_message", None) or text_field(inner, "message")
    return (
        code if isinstance(code, str) else None,
        error_type if isinstance(error_type, str) else text_field(inner, "type"),
        message if isinstance(message, str) else getattr(exc, "message", None),
    )


def _by_cause(exc: BaseException) -> FollowCause | None:
    if type(exc).__name__ != "RetryableError":
        return None  # a base class: the classifier follows __cause__ next
    # The cause's answer, made retryable; without a known cause the middleware asked for a retry
    # without saying why: treat it as a server-side failure.
    otherwise = make(ErrorCategory.SERVER, exc, retryable=True, provider=PROVIDER)
    return FollowCause(otherwise, changes={"retryable": True})
