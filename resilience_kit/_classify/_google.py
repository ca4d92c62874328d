"""The ``google-genai`` SDK's exceptions: Gemini on Google AI and Vertex AI (checked on 3.6).

``google.genai`` is never imported here: this map runs only for exceptions whose class comes from
it. Facts it rests on:

- ``errors.APIError`` (``ClientError`` for 4xx, ``ServerError`` for 5xx) carries ``.code`` (int),
  ``.status`` (the RPC status, e.g. ``RESOURCE_EXHAUSTED``), ``.message``, ``.details`` (the whole
  JSON body ``{"error": {...}}``) and ``.response``. It has no ``status_code`` attribute.
- Wait hints are in the body: ``google.rpc.RetryInfo`` with ``retryDelay`` (``"37s"``, ``"1.5s"``).
  ``google.rpc.QuotaFailure`` names the quota that was hit; a per-day quota (``...PerDay...``) or
  a quota whose value is ``0`` (none on this tier) is a quota stop: waiting minutes cannot help.
- An error chunk inside ``generate_content_stream`` raises the same classes, but their
  ``.response.status_code`` is the 200 of the stream: that is the mid-stream signal.
- Transport errors surface raw (``httpx2.ReadTimeout``, ``ConnectError``, ``RemoteProtocolError``)
  and are classified by the httpx2 map.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._common import (
    BY_CAUSE,
    BY_STATUS,
    Decision,
    body_error,
    category_for_body,
    category_for_status,
    from_response,
    text_field,
)
from resilience_kit._classify._headers import MAX_HINT
from resilience_kit._classify._model import Classification, FollowCause, make

PROVIDER = "gemini"

DECISIONS: dict[str, Decision] = {
    # ClientError (4xx) and ServerError (5xx) by status; a bare APIError has another code.
    "APIError": BY_STATUS,
    "ClientError": BY_STATUS,
    "ServerError": BY_STATUS,
    # Automatic function calling could not call your function: a programming error.
    "UnknownFunctionCallArgumentError": ErrorCategory.BAD_REQUEST,
    "UnsupportedFunctionError": ErrorCategory.BAD_REQUEST,
    "FunctionInvocationError": ErrorCategory.BAD_REQUEST,
    # A 200 whose body is not JSON: an SDK/API mismatch a retry does not fix.
    "UnknownApiResponseError": ErrorCategory.UNKNOWN,
    # Interactions continuation failed after billed output: category of the cause, not retried
    # (a retry would start over; resume with the continuation token instead).
    "ContinuationInterruptedError": BY_CAUSE,
    "ContinuationTimeoutError": ErrorCategory.TIMEOUT,
}

ERROR_MODULES: tuple[str, ...] = ("google.genai.errors", "google.genai._interactions_continuation")
"""Modules whose exception classes this map decides; the drift test imports them and checks the
table. The Interactions API's generated clients (``google.genai._interactions_errors``,
``google.genai._gaos.errors``) raise HTTP-shaped errors with ``status_code`` that the generic
HTTP-shaped map handles."""

# google.rpc.Code names, as Gemini sends them in ``error.status``.
RPC_STATUS: dict[str, ErrorCategory] = {
    "RESOURCE_EXHAUSTED": ErrorCategory.RATE_LIMIT,
    "UNAVAILABLE": ErrorCategory.OVERLOADED,
    "INTERNAL": ErrorCategory.SERVER,
    "UNKNOWN": ErrorCategory.SERVER,
    "DATA_LOSS": ErrorCategory.SERVER,
    "DEADLINE_EXCEEDED": ErrorCategory.TIMEOUT,
    "ABORTED": ErrorCategory.CONFLICT,
    "CANCELLED": ErrorCategory.CONNECTION,
    "INVALID_ARGUMENT": ErrorCategory.BAD_REQUEST,
    "FAILED_PRECONDITION": ErrorCategory.BAD_REQUEST,
    "OUT_OF_RANGE": ErrorCategory.BAD_REQUEST,
    "UNIMPLEMENTED": ErrorCategory.BAD_REQUEST,
    "ALREADY_EXISTS": ErrorCategory.BAD_REQUEST,
    "UNAUTHENTICATED": ErrorCategory.AUTH,
    "PERMISSION_DENIED": ErrorCategory.PERMISSION,
    "NOT_FOUND": ErrorCategory.NOT_FOUND,
}
"""What each RPC status means; used when the HTTP status alone says less (504 is a timeout)."""

# google.rpc.ErrorInfo reasons that change the answer of a 400/403.
ERROR_INFO_REASONS: dict[str, ErrorCategory] = {
    "API_KEY_INVALID": ErrorCategory.AUTH,
    "API_KEY_EXPIRED": ErrorCategory.AUTH,
    "ACCESS_TOKEN_EXPIRED": ErrorCategory.AUTH,
    "API_KEY_SERVICE_BLOCKED": ErrorCategory.PERMISSION,
    "SERVICE_DISABLED": ErrorCategory.PERMISSION,
    "BILLING_DISABLED": ErrorCategory.QUOTA,
}

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure"
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_DURATION = re.compile(r"\s*(\d{1,12}(?:\.\d{0,9})?|\.\d{1,9})s\s*")
_MESSAGE_HINT = re.compile(r"retry in (\d{1,9}(?:\.\d{1,9})?)\s*s\b", re.IGNORECASE)
_LIMIT_ZERO = re.compile(r"\blimit:\s*0\b")
_LONG_WINDOWS = ("perday", "per_day", "per day", "permonth", "per_month")


def classify_google(exc: BaseException) -> Classification | FollowCause | None:
    """Classify a ``google.genai`` exception; ``None`` for other ``google.*`` exceptions."""
    decision = _decide(exc)
    if decision is None:
        return None
    if decision == BY_STATUS:
        return _api_error(exc)
    if decision == BY_CAUSE:  # the dispatcher classifies __cause__; a stream is never retried
        return FollowCause(
            make(ErrorCategory.UNKNOWN, exc, provider=PROVIDER, in_stream=True),
            changes={"retryable": False, "in_stream": True, "provider": PROVIDER},
            unknown_cause_answers=True,
        )
    if not isinstance(decision, ErrorCategory):  # pragma: no cover - the table holds no others
        return None
    return make(decision, exc, provider=PROVIDER)


def _decide(exc: BaseException) -> Decision | None:
    for klass in type(exc).__mro__:
        if klass.__module__ in ERROR_MODULES and klass.__name__ in DECISIONS:
            return DECISIONS[klass.__name__]
    return None


def _api_error(exc: BaseException) -> Classification:
    code = getattr(exc, "code", None)
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    rpc_status = getattr(exc, "status", None)
    rpc_status = rpc_status if isinstance(rpc_status, str) else None
    message = getattr(exc, "message", None)
    message = message if isinstance(message, str) else None
    response = getattr(exc, "response", None)
    http_status = getattr(response, "status_code", None)
    in_stream = isinstance(http_status, int) and http_status < 400
    body = getattr(exc, "details", None)
    category = google_category(code, rpc_status, message, body)
    classification = from_response(
        exc,
        category,
        provider=PROVIDER,
        status_code=http_status if isinstance(http_status, int) else code,
        headers=getattr(response, "headers", None),
        error_code=rpc_status,
        in_stream=in_stream,
        # str(exc) repeats the whole body; the API's own message says it in one line.
        message=" ".join(str(part) for part in (code, rpc_status, message) if part) or None,
    )
    hint = retry_delay(body, message)
    if hint is not None:
        classification = classification.with_changes(retry_after=hint)
    return classification


def google_category(
    code: int | None, rpc_status: str | None, message: str | None, body: object
) -> ErrorCategory:
    """The category of a Google API error from its code, RPC status, message and details."""
    details = error_details(body)
    base = RPC_STATUS.get(rpc_status or "")
    if base is None:
        base = category_for_status(code) if code is not None else ErrorCategory.SERVER
    if code is not None and code >= 500:
        # A 5xx body never turns into a client error; DEADLINE_EXCEEDED (504) is a timeout.
        return base if base in _SERVER_SIDE else category_for_status(code)
    for entry in details:
        if entry.get("@type") == _ERROR_INFO:
            reason = text_field(entry, "reason")
            if reason in ERROR_INFO_REASONS:
                return ERROR_INFO_REASONS[reason]
    if base is ErrorCategory.RATE_LIMIT and quota_stop(details, message):
        return ErrorCategory.QUOTA
    from_body = category_for_body(None, None, message)
    if from_body is not None and from_body in {
        ErrorCategory.QUOTA,
        ErrorCategory.CONTEXT_LENGTH,
        ErrorCategory.CONTENT_FILTER,
    }:
        return from_body
    return base


_SERVER_SIDE = frozenset(
    {
        ErrorCategory.OVERLOADED,
        ErrorCategory.SERVER,
        ErrorCategory.TIMEOUT,
        ErrorCategory.RATE_LIMIT,
    }
)


def error_details(body: object) -> list[Mapping[str, object]]:
    """The ``error.details`` entries of a Google error body (dicts only; ``[]`` when absent)."""
    inner = body_error(body)
    details = inner.get("details")
    if not isinstance(details, Sequence) or isinstance(details, (str, bytes)):
        return []
    return [entry for entry in details[:32] if isinstance(entry, Mapping)]


def quota_stop(details: Sequence[Mapping[str, object]], message: str | None) -> bool:
    """A ``QuotaFailure`` for a per-day (or longer) quota, or for a quota of ``0``."""
    for entry in details:
        if entry.get("@type") != _QUOTA_FAILURE:
            continue
        violations = entry.get("violations")
        if not isinstance(violations, Sequence) or isinstance(violations, (str, bytes)):
            continue
        for violation in violations[:32]:
            if not isinstance(violation, Mapping):
                continue
            names = " ".join(
                text_field(violation, key) or "" for key in ("quotaId", "quotaMetric")
            ).lower()
            if any(window in names for window in _LONG_WINDOWS):
                return True
            if (text_field(violation, "quotaValue") or "").strip() == "0":
                return True
    return bool(message) and _LIMIT_ZERO.search(message or "") is not None


def retry_delay(body: object, message: str | None = None) -> float | None:
    """Seconds from ``google.rpc.RetryInfo.retryDelay`` (``"37s"``), else "Please retry in Ns"
    from the message; ``None`` without a positive hint."""
    for entry in error_details(body):
        if entry.get("@type") == _RETRY_INFO:
            value = entry.get("retryDelay")
            seconds = _duration(value) if isinstance(value, str) else _duration_object(value)
            if seconds is not None and seconds > 0:
                return seconds
    if message:
        match = _MESSAGE_HINT.search(message[:4096])
        if match is not None:
            seconds = float(match.group(1))
            if seconds > 0:
                return min(seconds, MAX_HINT)
    return None


def _duration(text: str) -> float | None:
    """A protobuf JSON ``Duration`` (``"37s"``, ``"1.5s"``); ``None`` for anything else."""
    match = _DURATION.fullmatch(text[:64])
    if match is None:
        return None
    return min(float(match.group(1)), MAX_HINT)


def _duration_object(value: object) -> float | None:
    """A ``Duration`` as ``{"seconds": 37, "nanos": 0}`` (some clients serialise it so)."""
    if not isinstance(value, Mapping):
        return None
    seconds, nanos = value.get("seconds", 0), value.get("nanos", 0)
    try:
        total = float(seconds) + float(nanos) / 1e9
    except (TypeError, ValueError):
        return None
    if math.isnan(total) or total < 0:
        return None
    return min(total, MAX_HINT)
