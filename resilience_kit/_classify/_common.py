"""Rules every HTTP-speaking map shares: status codes, body codes, headers, request ids.

The status rule (see the README's provider decision table):

- 408 → TIMEOUT, 409 → CONFLICT, 429 → RATE_LIMIT (billing codes make it QUOTA), 499 → CONNECTION.
- 503 and 529 → OVERLOADED: both mean "the service is up but has no capacity for you now"
  (OpenAI sends 503 ``server_is_overloaded``, Anthropic 529 ``overloaded_error``). Callers back off
  longer and may fall back to another provider; any other 5xx is SERVER.
- 400, 412, 413, 422, 431 and other 4xx → BAD_REQUEST; 401 → AUTH; 402 → QUOTA; 403 → PERMISSION;
  404 → NOT_FOUND. 413 (Anthropic ``request_too_large``, a body over 32 MB) is BAD_REQUEST, not
  CONTEXT_LENGTH: a model with a bigger context window does not accept a bigger HTTP body.
- ``x-should-retry: true|false`` overrides ``retryable`` (never the category), as the SDKs do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._headers import limit_hit, parse_should_retry, server_wait, snapshot
from resilience_kit._classify._model import Classification, make

_STATUS: dict[int, ErrorCategory] = {
    401: ErrorCategory.AUTH,
    402: ErrorCategory.QUOTA,
    403: ErrorCategory.PERMISSION,
    404: ErrorCategory.NOT_FOUND,
    408: ErrorCategory.TIMEOUT,
    409: ErrorCategory.CONFLICT,
    429: ErrorCategory.RATE_LIMIT,
    499: ErrorCategory.CONNECTION,
    503: ErrorCategory.OVERLOADED,
    529: ErrorCategory.OVERLOADED,
}

QUOTA_CODES: frozenset[str] = frozenset(
    {
        # OpenAI spend and billing stops (429 RateLimitError with these codes/types).
        "insufficient_quota",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
        # Anthropic: 402 billing_error and the spend-limit subclasses of RateLimitError.
        "billing_error",
        "contract_spend_limit_reached",
        "enforced_spend_limit_reached",
        "linked_organization_spend_limit_reached",
        "linked_organization_billing_unavailable",
        "storage_quota_exceeded",
    }
)
RATE_LIMIT_CODES: frozenset[str] = frozenset(
    {"rate_limit_exceeded", "slow_down", "rate_limit_error", "ramp_limit_exceeded"}
)
CONTEXT_CODES: frozenset[str] = frozenset({"context_length_exceeded"})
CONTENT_FILTER_CODES: frozenset[str] = frozenset(
    {"content_policy_violation", "content_filter", "moderation_blocked", "responsible_ai_policy"}
)
OVERLOADED_CODES: frozenset[str] = frozenset(
    {"server_is_overloaded", "overloaded_error", "service_unavailable_error"}
)

# Error ``type`` values seen in SSE error events after a 200 (no status code to go by).
STREAM_TYPES: dict[str, ErrorCategory] = {
    "overloaded_error": ErrorCategory.OVERLOADED,
    "api_error": ErrorCategory.SERVER,
    "server_error": ErrorCategory.SERVER,
    "rate_limit_error": ErrorCategory.RATE_LIMIT,
    "requests": ErrorCategory.RATE_LIMIT,
    "tokens": ErrorCategory.RATE_LIMIT,
    "timeout_error": ErrorCategory.TIMEOUT,
    "service_unavailable_error": ErrorCategory.OVERLOADED,
    "invalid_request_error": ErrorCategory.BAD_REQUEST,
    "request_too_large": ErrorCategory.BAD_REQUEST,
    "authentication_error": ErrorCategory.AUTH,
    "permission_error": ErrorCategory.PERMISSION,
    "not_found_error": ErrorCategory.NOT_FOUND,
    "billing_error": ErrorCategory.QUOTA,
    "insufficient_quota": ErrorCategory.QUOTA,
}

_CONTEXT_PHRASES = (
    "maximum context length",
    "prompt is too long",
    "context window",
    "exceed context limit",
    # Gemini INVALID_ARGUMENT: "The input token count (N) exceeds the maximum number of tokens
    # allowed (M)."; Bedrock ValidationException: "Input is too long for requested model.",
    # "too many input tokens".
    "exceeds the maximum number of tokens",
    "input is too long",
    "too many input tokens",
)
_CONTENT_PHRASES = (
    "content management policy",
    "content policy",
    "usage policy",
    "safety system",
    # Gemini and Bedrock refusals that surface as 400s.
    "prohibited content",
    "blocked due to safety",
    "blocked by content filters",
)
_QUOTA_PHRASES = (
    "reached your specified api usage limits",
    "credit balance is too low",
    # OpenAI's insufficient_quota message, alone in openai 2+'s str(exc) ("Error code: 429 - You
    # exceeded your current quota, please check your plan and billing details.").
    "exceeded your current quota",
)


_BODY_WINS_ON_4XX = frozenset(
    {ErrorCategory.QUOTA, ErrorCategory.CONTEXT_LENGTH, ErrorCategory.CONTENT_FILTER}
)


def category_for_status(status: int) -> ErrorCategory:
    """The category an HTTP error status means on its own (no body, no headers)."""
    found = _STATUS.get(status)
    if found is not None:
        return found
    if status >= 500:
        return ErrorCategory.SERVER
    if status >= 400:
        return ErrorCategory.BAD_REQUEST
    return ErrorCategory.UNKNOWN


def category_for_body(
    code: str | None, error_type: str | None, message: str | None
) -> ErrorCategory | None:
    """A category read from an error body's code, type or message; ``None`` when it says nothing."""
    for value in (code, error_type):
        if not value:
            continue
        if value in QUOTA_CODES or value.startswith("billing_"):
            return ErrorCategory.QUOTA
        if value in CONTEXT_CODES:
            return ErrorCategory.CONTEXT_LENGTH
        if value in CONTENT_FILTER_CODES:
            return ErrorCategory.CONTENT_FILTER
        if value in RATE_LIMIT_CODES:
            return ErrorCategory.RATE_LIMIT
        if value in OVERLOADED_CODES:
            return ErrorCategory.OVERLOADED
    text = (message or "").lower()
    if any(phrase in text for phrase in _QUOTA_PHRASES):
        return ErrorCategory.QUOTA
    if any(phrase in text for phrase in _CONTEXT_PHRASES):
        return ErrorCategory.CONTEXT_LENGTH
    if any(phrase in text for phrase in _CONTENT_PHRASES):
        return ErrorCategory.CONTENT_FILTER
    return None


def refine_status(
    status: int, code: str | None, error_type: str | None, message: str | None
) -> ErrorCategory:
    """The status rule, refined by the body for the cases where one status means several things.

    A 4xx body can turn the answer into QUOTA, CONTEXT_LENGTH or CONTENT_FILTER (and a 429 into a
    billing stop); a 5xx body can only say "overloaded". The body never makes a 4xx retryable.
    """
    base = category_for_status(status)
    from_body = category_for_body(code, error_type, message)
    if from_body is None:
        return base
    if status >= 500:
        return ErrorCategory.OVERLOADED if from_body is ErrorCategory.OVERLOADED else base
    if from_body in _BODY_WINS_ON_4XX:
        return from_body
    return base


def body_error(body: object) -> Mapping[str, object]:
    """The inner ``error`` dict of a provider error body (or the body itself when already inner)."""
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):
            return inner
        return body
    return {}


def text_field(data: Mapping[str, object], key: str) -> str | None:
    """A string field of a body dict (numbers become strings; anything else is ``None``)."""
    value = data.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def request_id_from(headers: object) -> str | None:
    """``x-request-id`` (OpenAI, most gateways), ``request-id`` (Anthropic) or
    ``x-amzn-requestid`` (AWS)."""
    lowered = snapshot(headers)
    return (
        lowered.get("x-request-id") or lowered.get("request-id") or lowered.get("x-amzn-requestid")
    )


def from_response(
    exc: BaseException,
    category: ErrorCategory,
    *,
    provider: str,
    status_code: int | None,
    headers: object,
    error_code: str | None = None,
    request_id: str | None = None,
    in_stream: bool = False,
    retryable: bool | None = None,
    message: str | None = None,
    body_type: str | None = None,
    body_message: str | None = None,
) -> Classification:
    """A Classification with the server's wait hint and ``x-should-retry`` applied; for a
    RATE_LIMIT also which limit was hit (from the body's *body_type* / *body_message* or the
    headers). *message* replaces the exception's text as the classification's message."""
    headers = snapshot(headers)  # read the response's headers once
    should_retry = parse_should_retry(headers)
    if should_retry is not None:
        retryable = should_retry
    limit = None
    if category is ErrorCategory.RATE_LIMIT:
        limit = limit_hit(headers, error_type=body_type, message=body_message)
    return make(
        category,
        exc,
        retryable=retryable,
        retry_after=server_wait(headers, status_code=status_code, message=body_message),
        limit=limit,
        status_code=status_code,
        provider=provider,
        error_code=error_code,
        request_id=request_id or request_id_from(headers),
        in_stream=in_stream,
        message=message,
    )


BY_STATUS = "by status"
"""Decision: the HTTP status rule, refined by the error body's code/type/message."""
BY_BODY = "by body"
"""Decision: no usable status (an error event after a 200); read the body's code/type/message."""
BY_CAUSE = "by cause"
"""Decision: a wrapper; classify ``__cause__`` (the default category applies without one)."""


@dataclass(frozen=True, slots=True)
class NoRetry:
    """Decision: *category*, but not retryable although the category usually is.

    For an error whose status the SDKs retry while the API says not to send the same request
    again (a create that partly happened, a change another request overtook).
    ``x-should-retry`` still wins.
    """

    category: ErrorCategory


Decision = ErrorCategory | str | NoRetry


def decide(exc: BaseException, table: Mapping[str, Decision], module: str) -> Decision | None:
    """The decision for the most specific class of *exc* from *module* that *table* lists.

    ``BY_BODY`` is not inherited by the SDK's own subclasses: the SDKs raise the bare base class
    (``APIError``) for an error event in a stream, so a subclass of it the table does not list yet
    (a validation error, say) takes the next base's decision instead of reading as a stream event.
    """
    own = type(exc).__module__.partition(".")[0] == module
    for klass in type(exc).__mro__:
        if klass.__module__.partition(".")[0] == module and klass.__name__ in table:
            decision = table[klass.__name__]
            if decision == BY_BODY and own and klass is not type(exc):
                continue
            return decision
    return None


def status_error(
    exc: BaseException,
    *,
    provider: str,
    code: str | None,
    error_type: str | None,
    message: str | None,
    fixed: ErrorCategory | None = None,
    retryable: bool | None = None,
) -> Classification:
    """Classify an SDK error that carries an HTTP response (``status_code``, ``response``,
    ``request_id``, as both SDKs' ``APIStatusError`` do); *code*, *error_type* and *message* come
    from its body.

    A status below 400 means the error arrived as an event inside a 200 stream: the body decides
    and ``in_stream`` is set. *fixed* is a category the decision table pins for the class, and
    *retryable* overrides the category's own retryability (``NoRetry``).
    """
    status_code = int(getattr(exc, "status_code", 0))
    request_id = getattr(exc, "request_id", None)
    in_stream = status_code < 400
    if fixed is not None:
        category = fixed
    elif in_stream:
        category = stream_category(code, error_type, message)
    else:
        category = refine_status(status_code, code, error_type, message)
    return from_response(
        exc,
        category,
        provider=provider,
        status_code=status_code,
        headers=getattr(getattr(exc, "response", None), "headers", None),
        error_code=code or error_type,
        request_id=request_id if isinstance(request_id, str) else None,
        in_stream=in_stream,
        retryable=retryable,
        body_type=error_type,
        body_message=message,
    )


ErrorFields = tuple[str | None, str | None, str | None]
"""``(code, type, message)`` as a provider map reads them from an SDK error's body."""


def status_error_of(
    exc: BaseException,
    provider: str,
    fields: ErrorFields,
    fixed: ErrorCategory | None = None,
    *,
    retryable: bool | None = None,
) -> Classification:
    """`status_error()` with the body's *fields* as a provider map read them."""
    code, error_type, message = fields
    return status_error(
        exc,
        provider=provider,
        code=code,
        error_type=error_type,
        message=message,
        fixed=fixed,
        retryable=retryable,
    )


def stream_error_of(exc: BaseException, provider: str, fields: ErrorFields) -> Classification:
    """An error event inside a stream (no response of its own): the body's *fields* decide."""
    code, error_type, message = fields
    return make(
        stream_category(code, error_type, message),
        exc,
        provider=provider,
        error_code=code or error_type,
        in_stream=True,
    )


def stream_category(code: str | None, error_type: str | None, message: str | None) -> ErrorCategory:
    """The category of an error event received after a 200: body first, else SERVER."""
    found = category_for_body(code, error_type, message)
    if found is not None:
        return found
    for value in (code, error_type):
        if value and value in STREAM_TYPES:
            return STREAM_TYPES[value]
    return ErrorCategory.SERVER


def timed_out(cause: BaseException | None) -> bool:
    """A plain connection error whose cause is a timeout (``httpx2.ReadTimeout``, ...)."""
    if cause is None:
        return False
    return isinstance(cause, TimeoutError) or "timeout" in type(cause).__name__.lower()
