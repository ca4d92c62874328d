"""botocore's exceptions, as Amazon Bedrock Runtime raises them through boto3 (checked on 1.44).

``botocore`` is never imported here. Facts this map rests on:

- Service errors are ``ClientError`` (modeled ones are per-client subclasses such as
  ``client.exceptions.ThrottlingException``). What they mean is in ``exc.response``:
  ``["Error"]["Code"]``, ``["Error"]["Message"]`` and ``["ResponseMetadata"]`` with
  ``HTTPStatusCode``, ``RequestId`` and the lower-cased ``HTTPHeaders``. Bedrock sends no wait hint;
  botocore honours ``x-amz-retry-after`` (milliseconds), and so do we.
- Errors inside ``converse_stream`` / ``invoke_model_with_response_stream`` are
  ``EventStreamError`` raised while iterating the stream, with only a camelCase code
  (``throttlingException``) and a message: no status, no request id. ``in_stream`` is set.
- Transport errors are botocore's own classes (``ReadTimeoutError``, ``ConnectTimeoutError``,
  ``EndpointConnectionError``, ``ConnectionClosedError``), not Python's; a body cut mid-stream
  leaks a raw ``urllib3`` ``ProtocolError`` (classified by the urllib3 map).
"""

from __future__ import annotations

from collections.abc import Mapping

from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._common import (
    BY_BODY,
    BY_CAUSE,
    BY_STATUS,
    Decision,
    category_for_body,
    category_for_status,
    decide,
    from_response,
)
from resilience_kit._classify._headers import parse_seconds, snapshot
from resilience_kit._classify._model import Classification, make

PROVIDER = "bedrock"

CODES: dict[str, ErrorCategory] = {
    # Every error shape of bedrock-runtime's service model (2023-09-30); the drift test checks it.
    "ThrottlingException": ErrorCategory.RATE_LIMIT,  # 429, per-minute quotas
    "ModelNotReadyException": ErrorCategory.OVERLOADED,  # 429, "the SDK retries up to 5 times"
    "ServiceUnavailableException": ErrorCategory.OVERLOADED,  # 503
    "InternalServerException": ErrorCategory.SERVER,  # 500
    "ModelErrorException": ErrorCategory.SERVER,  # 424, the model failed on this request
    "ModelStreamErrorException": ErrorCategory.SERVER,  # 424, "Retry your request."
    "ModelTimeoutException": ErrorCategory.TIMEOUT,  # 408
    "ValidationException": ErrorCategory.BAD_REQUEST,  # 400 (context length by message)
    "AccessDeniedException": ErrorCategory.PERMISSION,  # 403
    "ResourceNotFoundException": ErrorCategory.NOT_FOUND,  # 404
    # 400: an account quota (tokens per day, ...), not a per-minute throttle (that is
    # ThrottlingException): "resubmit later" means after the quota resets or is raised.
    "ServiceQuotaExceededException": ErrorCategory.QUOTA,
    "ConflictException": ErrorCategory.CONFLICT,  # 400, async invocations
    # Common AWS codes outside the service model.
    "UnrecognizedClientException": ErrorCategory.AUTH,
    "InvalidSignatureException": ErrorCategory.AUTH,
    "IncompleteSignature": ErrorCategory.AUTH,
    "ExpiredTokenException": ErrorCategory.AUTH,
    "MissingAuthenticationToken": ErrorCategory.AUTH,
    "InternalFailure": ErrorCategory.SERVER,
    "ServiceUnavailable": ErrorCategory.OVERLOADED,
    "Throttling": ErrorCategory.RATE_LIMIT,
    "TooManyRequestsException": ErrorCategory.RATE_LIMIT,
    "RequestTimeout": ErrorCategory.TIMEOUT,
    "RequestTimeoutException": ErrorCategory.TIMEOUT,
}
"""What each Bedrock error code means; a code not listed falls back to the status rule."""

DECISIONS: dict[str, Decision] = {
    # Service errors: the error code first, then the status rule.
    "ClientError": BY_STATUS,
    # An exception event inside an event stream: code and message only, in_stream=True.
    "EventStreamError": BY_BODY,
    # Transport.
    "ConnectionError": ErrorCategory.CONNECTION,
    "EndpointConnectionError": ErrorCategory.CONNECTION,
    "ConnectionClosedError": ErrorCategory.CONNECTION,
    "HTTPClientError": ErrorCategory.CONNECTION,
    "ProxyConnectionError": ErrorCategory.CONNECTION,
    "SSLError": ErrorCategory.CONNECTION,
    "ResponseStreamingError": ErrorCategory.CONNECTION,
    "IncompleteReadError": ErrorCategory.CONNECTION,
    "ChecksumError": ErrorCategory.CONNECTION,  # the body arrived corrupted: send again
    "FlexibleChecksumError": ErrorCategory.CONNECTION,
    "AwsChunkedWrapperError": ErrorCategory.CONNECTION,
    "ReadTimeoutError": ErrorCategory.TIMEOUT,
    "ConnectTimeoutError": ErrorCategory.TIMEOUT,
    # botocore's client-side retry quota is empty: too many failures recently.
    "CapacityNotAvailableError": ErrorCategory.RATE_LIMIT,
    # Credentials.
    "NoCredentialsError": ErrorCategory.AUTH,
    "PartialCredentialsError": ErrorCategory.AUTH,
    "CredentialRetrievalError": ErrorCategory.AUTH,
    "UnknownCredentialError": ErrorCategory.AUTH,
    "NoAuthTokenError": ErrorCategory.AUTH,
    "TokenRetrievalError": ErrorCategory.AUTH,
    "MetadataRetrievalError": ErrorCategory.AUTH,
    "RefreshWithMFAUnsupportedError": ErrorCategory.AUTH,
    "SSOError": ErrorCategory.AUTH,
    "SSOTokenLoadError": ErrorCategory.AUTH,
    "UnauthorizedSSOTokenError": ErrorCategory.AUTH,
    "LoginError": ErrorCategory.AUTH,
    "LoginRefreshRequired": ErrorCategory.AUTH,
    "LoginInsufficientPermissions": ErrorCategory.PERMISSION,
    "LoginTokenLoadError": ErrorCategory.AUTH,
    "LoginAuthorizationCodeError": ErrorCategory.AUTH,
    # A base class: only what it wraps says anything.
    "BotoCoreError": BY_CAUSE,
    # Warnings are never raised as errors.
    "UnsupportedTLSVersionWarning": ErrorCategory.UNKNOWN,
    "ImminentRemovalWarning": ErrorCategory.UNKNOWN,
    # Waiters poll other services; Bedrock Runtime has none.
    "WaiterError": ErrorCategory.UNKNOWN,
    # Everything else is a configuration or programming error: retrying cannot help.
    **dict.fromkeys(
        (
            "DataNotFoundError",
            "UnknownServiceError",
            "UnknownRegionError",
            "ApiVersionNotFoundError",
            "InvalidIMDSEndpointError",
            "InvalidIMDSEndpointModeError",
            "UnknownTokenProviderError",
            "UnknownSignatureVersionError",
            "ServiceNotInRegionError",
            "BaseEndpointResolverError",
            "NoRegionError",
            "EndpointVariantError",
            "UnknownEndpointError",
            "UnknownFIPSEndpointError",
            "ProfileNotFound",
            "ConfigParseError",
            "ConfigNotFound",
            "MissingParametersError",
            "ValidationError",
            "ParamValidationError",
            "UnknownKeyError",
            "RangeError",
            "UnknownParameterError",
            "InvalidRegionError",
            "AliasConflictParameterError",
            "UnknownServiceStyle",
            "PaginationError",
            "OperationNotPageableError",
            "UnseekableStreamError",
            "InvalidExpressionError",
            "WaiterConfigError",
            "UnknownClientMethodError",
            "UnsupportedSignatureVersionError",
            "InvalidDNSNameError",
            "InvalidS3AddressingStyleError",
            "UnsupportedS3ArnError",
            "UnsupportedS3ControlArnError",
            "InvalidHostLabelError",
            "UnsupportedOutpostResourceError",
            "UnsupportedS3ConfigurationError",
            "UnsupportedS3AccesspointConfigurationError",
            "InvalidEndpointDiscoveryConfigurationError",
            "UnsupportedS3ControlConfigurationError",
            "InvalidRetryConfigurationError",
            "InvalidMaxRetryAttemptsError",
            "InvalidRetryModeError",
            "InvalidS3UsEast1RegionalEndpointConfigError",
            "InvalidSTSRegionalEndpointsConfigError",
            "StubResponseError",
            "StubAssertionError",
            "UnStubbedResponseError",
            "InvalidConfigError",
            "InfiniteLoopConfigError",
            "MD5UnavailableError",
            "MissingDependencyException",
            "UndefinedModelAttributeError",
            "MissingServiceIdError",
            "InvalidProxiesConfigError",
            "InvalidDefaultsMode",
            "InvalidEndpointConfigurationError",
            "EndpointProviderError",
            "EndpointResolutionError",
            "UnknownEndpointResolutionBuiltInName",
            "InvalidChecksumConfigError",
            "UnsupportedServiceProtocolsError",
        ),
        ErrorCategory.BAD_REQUEST,
    ),
}

ERROR_MODULES: tuple[str, ...] = ("botocore.exceptions",)
"""Modules that define exception classes; the drift test imports them and checks the table."""

_DAILY_PHRASES = ("per day", "tokens per day", "requests per day")


def classify_botocore(exc: BaseException) -> Classification | None:
    """Classify a botocore exception; ``None`` for a class the table does not know."""
    decision = decide(exc, DECISIONS, "botocore")
    if decision is None:
        return None
    if decision == BY_STATUS:
        return _client_error(exc)
    if decision == BY_BODY:
        return _stream_error(exc)
    if decision == BY_CAUSE:
        return None  # the classifier follows __cause__ next
    if not isinstance(decision, ErrorCategory):  # pragma: no cover - the table holds no others
        return None
    return make(decision, exc, provider=PROVIDER)


def bedrock_category(code: str | None, status: int | None, message: str | None) -> ErrorCategory:
    """The category of a Bedrock error from its code (any case), HTTP status and message."""
    normalized = (code or "").partition(":")[0].strip()
    normalized = normalized[:1].upper() + normalized[1:]
    category = CODES.get(normalized)
    if category is None:
        category = category_for_status(status) if status is not None else ErrorCategory.SERVER
    text = (message or "").lower()
    if category is ErrorCategory.RATE_LIMIT and any(p in text for p in _DAILY_PHRASES):
        return ErrorCategory.QUOTA  # "Too many tokens per day": waiting minutes cannot help
    if status is not None and status >= 500:
        return category
    if category in {ErrorCategory.BAD_REQUEST, ErrorCategory.UNKNOWN}:
        found = category_for_body(None, None, message)
        if found is not None and found in {
            ErrorCategory.CONTEXT_LENGTH,
            ErrorCategory.CONTENT_FILTER,
        }:
            return found
    return category


def _response(exc: BaseException) -> Mapping[str, object]:
    response = getattr(exc, "response", None)
    return response if isinstance(response, Mapping) else {}


def _error_fields(response: Mapping[str, object]) -> tuple[str | None, str | None]:
    error = response.get("Error")
    if not isinstance(error, Mapping):
        return None, None
    code, message = error.get("Code"), error.get("Message")
    return (
        code if isinstance(code, str) and code else None,
        message if isinstance(message, str) else None,
    )


def _client_error(exc: BaseException) -> Classification:
    response = _response(exc)
    code, message = _error_fields(response)
    meta = response.get("ResponseMetadata")
    meta = meta if isinstance(meta, Mapping) else {}
    status = meta.get("HTTPStatusCode")
    status_code = status if isinstance(status, int) and not isinstance(status, bool) else None
    request_id = meta.get("RequestId")
    headers = snapshot(meta.get("HTTPHeaders"))
    classification = from_response(
        exc,
        bedrock_category(code, status_code, message),
        provider=PROVIDER,
        status_code=status_code,
        headers=headers,
        error_code=code,
        request_id=request_id if isinstance(request_id, str) and request_id else None,
    )
    amz_wait = parse_seconds(headers.get("x-amz-retry-after"), divisor=1000.0)
    if amz_wait is not None and amz_wait > 0:
        classification = classification.with_changes(retry_after=amz_wait)
    return classification


def _stream_error(exc: BaseException) -> Classification:
    code, message = _error_fields(_response(exc))
    return make(
        bedrock_category(code, None, message),
        exc,
        provider=PROVIDER,
        error_code=code,
        in_stream=True,
    )
