"""The ``openai`` SDK's exceptions (checked against openai 3.63).

``openai`` is never imported here: this map only runs for exceptions whose class (or a base class)
comes from ``openai``, which means the SDK is already loaded. Classes are matched by name through
the MRO, so subclasses in wrappers (litellm's errors subclass openai's) get the same decision.
"""

from __future__ import annotations

from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._common import (
    BY_BODY,
    BY_CAUSE,
    BY_STATUS,
    Decision,
    ErrorFields,
    body_error,
    decide,
    status_error_of,
    stream_error_of,
    text_field,
    timed_out,
)
from resilience_kit._classify._model import Classification, make

PROVIDER = "openai"

DECISIONS: dict[str, Decision] = {
    # Base classes: only what they wrap says anything.
    "OpenAIError": BY_CAUSE,
    # Raised bare mid-stream (Chat Completions SSE ``data: {"error": ...}``): no status, body only.
    "APIError": BY_BODY,
    # ``_make_status_error`` picks these by status alone; 408 and other 4xx stay APIStatusError.
    "APIStatusError": BY_STATUS,
    "BadRequestError": BY_STATUS,
    "AuthenticationError": BY_STATUS,
    "OAuthError": BY_STATUS,
    "PermissionDeniedError": BY_STATUS,
    "NotFoundError": BY_STATUS,
    "ConflictError": BY_STATUS,
    "UnprocessableEntityError": BY_STATUS,
    "RateLimitError": BY_STATUS,
    "InternalServerError": BY_STATUS,
    # A 200 whose body does not match the schema: an SDK/API mismatch a retry does not fix.
    "APIResponseValidationError": ErrorCategory.UNKNOWN,
    "APIConnectionError": ErrorCategory.CONNECTION,
    "APITimeoutError": ErrorCategory.TIMEOUT,
    # From the .parse()/structured-output helpers: finish_reason "length" / "content_filter".
    "LengthFinishReasonError": ErrorCategory.CONTEXT_LENGTH,
    "ContentFilterFinishReasonError": ErrorCategory.CONTENT_FILTER,
    "InvalidWebhookSignatureError": ErrorCategory.BAD_REQUEST,
    # Workload-identity token exchange failed: credentials, not capacity.
    "SubjectTokenProviderError": ErrorCategory.AUTH,
    "WebSocketConnectionClosedError": ErrorCategory.CONNECTION,
    # The outgoing queue is over its byte limit: send slower, then again.
    "WebSocketQueueFullError": ErrorCategory.RATE_LIMIT,
    # Programming and setup errors: retrying cannot help.
    "_AmbiguousModuleClientUsageError": ErrorCategory.BAD_REQUEST,
    "APIRemovedInV1": ErrorCategory.BAD_REQUEST,
    "MissingDependencyError": ErrorCategory.BAD_REQUEST,
    "MutuallyExclusiveAuthError": ErrorCategory.BAD_REQUEST,
    "StreamAlreadyConsumed": ErrorCategory.BAD_REQUEST,
    "MissingStreamClassError": ErrorCategory.BAD_REQUEST,
    # Beta agents helpers: wrappers around the upload or turn that failed.
    "AgentFilePreparationError": BY_CAUSE,
    "AgentFileStagingError": BY_CAUSE,
    "AgentTurnResultError": BY_CAUSE,
    # The hosted turn succeeded (and was billed); only parsing its output failed.
    "AgentOutputParseError": ErrorCategory.UNKNOWN,
}

ERROR_MODULES: tuple[str, ...] = (
    "openai._exceptions",
    "openai._response",
    "openai._extras._common",
    "openai.lib._old_api",
    "openai.lib.azure",
    "openai.lib.beta.agents._files",
    "openai.lib.beta.agents._result",
)
"""Modules that define exception classes; the drift test imports them and checks the table."""


def classify_openai(exc: BaseException) -> Classification | None:
    """Classify an ``openai`` exception; ``None`` for a class the table does not know."""
    decision = decide(exc, DECISIONS, "openai")
    if decision is None:
        return None
    if decision == BY_STATUS or (decision == BY_BODY and _has_response(exc)):
        return status_error_of(exc, PROVIDER, _fields(exc))
    if decision == BY_BODY:
        return stream_error_of(exc, PROVIDER, _fields(exc))
    if decision == BY_CAUSE:
        return None  # the classifier follows __cause__ next
    if not isinstance(decision, ErrorCategory):  # pragma: no cover - the table holds no others
        return None
    if decision is ErrorCategory.CONNECTION and timed_out(exc.__cause__):
        decision = ErrorCategory.TIMEOUT
    status = getattr(exc, "status_code", None)
    return make(
        decision,
        exc,
        provider=PROVIDER,
        status_code=status if isinstance(status, int) else None,
    )


def _has_response(exc: BaseException) -> bool:
    return isinstance(getattr(exc, "status_code", None), int) and hasattr(exc, "response")


def _fields(exc: BaseException) -> ErrorFields:
    inner = body_error(getattr(exc, "body", None))
    code = getattr(exc, "code", None)
    error_type = getattr(exc, "type", None)
    message = text_field(inner, "message") or getattr(exc, "message", None)
    return (
        code if isinstance(code, str) else text_field(inner, "code"),
        error_type if isinstance(error_type, str) else text_field(inner, "type"),
        message if isinstance(message, str) else None,
    )
