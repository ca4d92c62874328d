"""classify() on real ``anthropic`` exceptions, dispatched by the SDK's ``make_status_error``."""

from __future__ import annotations

import anthropic
import httpx2
import pytest

from resilience_kit import ErrorCategory, classify
from tests.unit.sdk_errors import ANTHROPIC_URL, anthropic_error, response

C = ErrorCategory


@pytest.mark.parametrize(
    ("status", "error_type", "cls", "expected"),
    [
        (400, "invalid_request_error", anthropic.BadRequestError, C.BAD_REQUEST),
        (401, "authentication_error", anthropic.AuthenticationError, C.AUTH),
        (402, "billing_error", anthropic.PaymentRequiredError, C.QUOTA),
        (403, "permission_error", anthropic.PermissionDeniedError, C.PERMISSION),
        (404, "not_found_error", anthropic.NotFoundError, C.NOT_FOUND),
        (408, "timeout_error", anthropic.RequestTimeoutError, C.TIMEOUT),
        (409, "conflict_error", anthropic.ConflictError, C.CONFLICT),
        (412, "invalid_request_error", anthropic.PreconditionFailedError, C.BAD_REQUEST),
        (413, "request_too_large", anthropic.ContentTooLargeError, C.BAD_REQUEST),
        (422, "invalid_request_error", anthropic.UnprocessableEntityError, C.BAD_REQUEST),
        (429, "rate_limit_error", anthropic.RateLimitError, C.RATE_LIMIT),
        (431, "invalid_request_error", anthropic.RequestHeaderFieldsTooLargeError, C.BAD_REQUEST),
        (499, "api_error", anthropic.ClientClosedRequestError, C.CONNECTION),
        (500, "api_error", anthropic.InternalServerError, C.SERVER),
        (501, "api_error", anthropic.HTTPNotImplementedError, C.SERVER),
        (502, "api_error", anthropic.InternalServerError, C.SERVER),
        (503, "api_error", anthropic.ServiceUnavailableError, C.OVERLOADED),
        (504, "timeout_error", anthropic.GatewayTimeoutError, C.SERVER),
        (529, "overloaded_error", anthropic.OverloadedError, C.OVERLOADED),
    ],
)
def test_status_classes(
    status: int, error_type: str, cls: type[Exception], expected: ErrorCategory
) -> None:
    """Each status class maps to its category with status, provider and error_code filled."""
    exc = anthropic_error(status, error_type=error_type, headers={"request-id": "req_7"})
    assert cls is type(exc)
    result = classify(exc)
    assert expected == result.category
    assert expected.retryable == result.retryable
    assert status == result.status_code
    assert "anthropic" == result.provider
    assert error_type == result.error_code
    assert "req_7" == result.request_id
    assert result.in_stream is False


@pytest.mark.parametrize(
    ("status", "code", "cls_name", "expected"),
    [
        (429, "contract_spend_limit_reached", "ContractSpendLimitReachedError", C.QUOTA),
        (429, "enforced_spend_limit_reached", "EnforcedSpendLimitReachedError", C.QUOTA),
        (429, "ramp_limit_exceeded", "RampLimitExceededError", C.RATE_LIMIT),
        (
            402,
            "linked_organization_spend_limit_reached",
            "LinkedOrganizationSpendLimitReachedError",
            C.QUOTA,
        ),
        (400, "storage_quota_exceeded", "StorageQuotaExceededError", C.QUOTA),
        (400, "organization_on_hold", "OrganizationOnHoldError", C.PERMISSION),
        (400, "external_key_validation_timed_out", "ExternalKeyValidationTimedOutError", C.TIMEOUT),
        (400, "image_dimensions_too_large", "ImageDimensionsTooLargeError", C.BAD_REQUEST),
        (409, "plugin_name_taken", "BetaPluginNameTakenError", C.BAD_REQUEST),
        (409, "scan_pending", "BetaScanPendingError", C.CONFLICT),
        (503, "cmek_key_unreachable", "CMEKKeyUnreachableError", C.OVERLOADED),
        (409, "storage_in_use", "BetaStorageInUseError", C.BAD_REQUEST),
        (409, "storage_already_registered", "BetaStorageAlreadyRegisteredError", C.BAD_REQUEST),
        (
            409,
            "gcp_project_controlled_by_another_organization",
            "BetaGCPProjectControlledByAnotherOrganizationError",
            C.BAD_REQUEST,
        ),
        (409, "storage_attached_during_archive", "StorageAttachedDuringArchiveError", C.CONFLICT),
        (400, "unsupported_region", "BetaUnsupportedRegionError", C.BAD_REQUEST),
        (400, "storage_attach_limit_reached", "BetaStorageAttachLimitReachedError", C.BAD_REQUEST),
        (403, "api_key_requester_unconfirmed", "APIKeyRequesterUnconfirmedError", C.SERVER),
        (
            503,
            "authorization_check_unavailable",
            "BetaAuthorizationCheckUnavailableError",
            C.OVERLOADED,
        ),
        (503, "change_outcome_unknown", "ChangeOutcomeUnknownError", C.SERVER),
        (529, "compaction_unavailable", "CompactionUnavailableError", C.OVERLOADED),
    ],
)
def test_error_code_subclasses(
    status: int, code: str, cls_name: str, expected: ErrorCategory
) -> None:
    """The error_code subclasses get their pinned decision (spend limits are billing stops)."""
    exc = anthropic_error(status, error_type="rate_limit_error", error_code=code)
    assert cls_name == type(exc).__name__
    result = classify(exc)
    assert expected == result.category
    assert code == result.error_code


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (409, "storage_changed_concurrently", C.CONFLICT),
        (409, "workspace_changed_concurrently", C.CONFLICT),
        (503, "workspace_created_incomplete", C.SERVER),
    ],
)
def test_do_not_send_again_keeps_its_category_but_is_not_retryable(
    status: int, code: str, expected: ErrorCategory
) -> None:
    """A retryable status the API says not to resend: its category, not retryable, hint kept."""
    exc = anthropic_error(status, error_code=code, headers={"retry-after": "3"})
    result = classify(exc)
    assert (expected, False) == (result.category, result.retryable)
    assert 3.0 == result.retry_after
    assert code == result.error_code


def test_should_retry_header_still_wins_over_do_not_send_again() -> None:
    """``x-should-retry: true`` makes even a do-not-resend 503 retryable, as the SDK obeys it."""
    exc = anthropic_error(
        503, error_code="workspace_created_incomplete", headers={"x-should-retry": "true"}
    )
    assert classify(exc).retryable is True


def test_unlisted_sdk_subclass_of_api_error_is_not_a_stream_event() -> None:
    """A new SDK class under APIError gets no stream-event reading: unknown, not retried."""

    class FutureValidationError(anthropic.APIError):
        __module__ = "anthropic.lib.future"

    request = httpx2.Request("POST", ANTHROPIC_URL)
    result = classify(FutureValidationError("bad", request, body=None))
    assert (C.UNKNOWN, False) == (result.category, result.retryable)
    stream = classify(anthropic.APIError("overloaded", request, body=None))
    assert (C.SERVER, True, True) == (stream.category, stream.retryable, stream.in_stream)


def test_spend_limit_never_retryable_even_with_retry_after() -> None:
    """A spend-limit 429 is not retryable even when it carries a retry-after."""
    exc = anthropic_error(
        429, error_code="enforced_spend_limit_reached", headers={"retry-after": "30"}
    )
    result = classify(exc)
    assert result.retryable is False
    assert 30.0 == result.retry_after


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [
        ("overloaded_error", C.OVERLOADED),
        ("api_error", C.SERVER),
        ("rate_limit_error", C.RATE_LIMIT),
        ("timeout_error", C.TIMEOUT),
        ("invalid_request_error", C.BAD_REQUEST),
        ("billing_error", C.QUOTA),
        ("brand_new_error", C.SERVER),
    ],
)
def test_mid_stream_status_200(error_type: str, expected: ErrorCategory) -> None:
    """An SSE error after a 200 is a bare APIStatusError; ``exc.type`` decides, in_stream=True."""
    exc = anthropic_error(200, error_type=error_type, headers={"request-id": "req_s"})
    assert anthropic.APIStatusError is type(exc)
    result = classify(exc)
    assert expected == result.category
    assert result.in_stream is True
    assert 200 == result.status_code
    assert "req_s" == result.request_id


def test_prompt_too_long_is_context_length() -> None:
    """A 400 "prompt is too long" is CONTEXT_LENGTH."""
    exc = anthropic_error(
        400,
        error_type="invalid_request_error",
        message="prompt is too long: 210000 tokens > 200000 maximum",
    )
    assert C.CONTEXT_LENGTH == classify(exc).category


@pytest.mark.parametrize(
    "message",
    [
        "You have reached your specified API usage limits. You will regain access on 2026-12-01",
        "Your credit balance is too low to access the Anthropic API.",
    ],
)
def test_billing_400_by_message(message: str) -> None:
    """Anthropic's user-set spend limit and low credit arrive as 400s: QUOTA by message."""
    exc = anthropic_error(400, error_type="invalid_request_error", message=message)
    assert C.QUOTA == classify(exc).category


def test_overloaded_hint_and_should_retry() -> None:
    """A 529 keeps its retry-after; ``x-should-retry: false`` makes it not retryable."""
    result = classify(
        anthropic_error(529, error_type="overloaded_error", headers={"retry-after": "7"})
    )
    assert 7.0 == result.retry_after
    assert result.retryable is True
    stop = classify(anthropic_error(529, headers={"x-should-retry": "false"}))
    assert C.OVERLOADED == stop.category
    assert stop.retryable is False


def test_rate_limit_reset_headers() -> None:
    """Without retry-after, a 429 waits for the exhausted limit's RFC 3339 reset."""
    headers = {
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2026-11-22T19:00:10Z",
        "anthropic-ratelimit-tokens-remaining": "5000",
        "anthropic-ratelimit-tokens-reset": "2026-11-22T19:01:00Z",
    }
    exc = anthropic_error(429, error_type="rate_limit_error", headers=headers)
    from freezegun import freeze_time

    with freeze_time("2026-11-22T19:00:00Z"):
        result = classify(exc)
    assert 10.0 == result.retry_after


def test_non_json_413() -> None:
    """A 413 with a non-JSON body (from the edge proxy) is still BAD_REQUEST."""
    resp = response(413, None, url=ANTHROPIC_URL)
    exc = anthropic.ContentTooLargeError("Request Entity Too Large", response=resp, body=None)
    result = classify(exc)
    assert C.BAD_REQUEST == result.category
    assert result.error_code is None


def test_connection_timeout_and_wrappers() -> None:
    """Connection, timeout, credential and middleware errors each get their decision."""
    request = httpx2.Request("POST", ANTHROPIC_URL)
    assert C.TIMEOUT == classify(anthropic.APITimeoutError(request)).category
    assert C.CONNECTION == classify(anthropic.APIConnectionError(request=request)).category
    assert C.AUTH == classify(anthropic.CredentialsError("no key")).category
    bare = classify(anthropic.RetryableError("again"))
    assert (C.SERVER, True) == (bare.category, bare.retryable)
    exc = anthropic.RetryableError("again")
    exc.__cause__ = anthropic_error(400)
    wrapped = classify(exc)
    assert (C.BAD_REQUEST, True) == (wrapped.category, wrapped.retryable)


def test_raw_remote_protocol_error_from_dropped_stream() -> None:
    """The raw ``httpx2.RemoteProtocolError`` a dropped Anthropic stream leaks is CONNECTION."""
    exc = httpx2.RemoteProtocolError(
        "peer closed connection without sending complete message body (incomplete chunked read)"
    )
    result = classify(exc)
    assert C.CONNECTION == result.category
    assert "httpx2" == result.provider


def test_api_key_redacted() -> None:
    """An ``sk-ant-`` key and an x-api-key value in the message are redacted."""
    exc = anthropic_error(401, message="invalid x-api-key: sk-ant-api03-SECRETSECRET")
    assert "SECRETSECRET" not in classify(exc).message
