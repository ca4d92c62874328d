"""The google-genai and botocore maps on exceptions built the way the SDKs build them."""

from __future__ import annotations

import botocore.exceptions
import httpx2
import pytest
import urllib3.exceptions
from google.genai import errors as genai_errors

from resilience_kit import ErrorCategory, classify
from resilience_kit._classify._google import quota_stop, retry_delay

C = ErrorCategory
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


def _genai(code: int, body: object, *, status: int | None = None) -> genai_errors.APIError:
    request = httpx2.Request("POST", "https://generativelanguage.googleapis.com/v1beta/models/m")
    response = httpx2.Response(code if status is None else status, request=request, json=body)
    with pytest.raises(genai_errors.APIError) as info:
        genai_errors.APIError.raise_error(code, body, response)  # the SDK's own dispatcher
    return info.value


@pytest.mark.parametrize(
    ("delay", "expected"),
    [
        ("37s", 37.0),
        ("1.5s", 1.5),
        ("0.000000001s", 1e-9),
        ("0s", None),
        ("37", None),
        ("-3s", None),
        ("soon", None),
        ({"seconds": 3, "nanos": 500_000_000}, 3.5),
        ({"seconds": "x"}, None),
    ],
)
def test_retry_delay_parsing(delay: object, expected: float | None) -> None:
    """RetryInfo's protobuf Duration in its JSON forms; zero and garbage are no hint."""
    body = {"error": {"details": [{"@type": RETRY_INFO, "retryDelay": delay}]}}
    assert expected == retry_delay(body)


def test_retry_delay_from_message_and_absent() -> None:
    """Without RetryInfo, "Please retry in 10.7s." in the message is the hint; else None."""
    assert 10.7 == retry_delay({"error": {}}, "Quota exceeded. Please retry in 10.7s.")
    assert retry_delay(None, "no hint here") is None
    assert retry_delay({"error": {"details": "not a list"}}) is None


def test_quota_stop_rules() -> None:
    """Per-day ids, per-day metrics and a quota of 0 stop; per-minute quotas do not."""

    def failure(**violation: str) -> list[dict[str, object]]:
        return [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]}]

    assert quota_stop(failure(quotaId="GenerateRequestsPerDayPerProjectPerModel"), None)
    assert quota_stop(failure(quotaMetric="x/requests_per_day"), None)
    assert quota_stop(failure(quotaId="PerMinute", quotaValue="0"), None)
    assert not quota_stop(failure(quotaId="GenerateRequestsPerMinutePerProject"), None)
    assert quota_stop([], "Quota exceeded for metric: m, limit: 0, model: g")
    assert not quota_stop([], "Quota exceeded for metric: m, limit: 10")


def test_genai_429_per_minute_and_message() -> None:
    """A 429 built by the SDK: RATE_LIMIT with the RetryInfo hint and a one-line message."""
    body = {
        "error": {
            "code": 429,
            "message": "Resource exhausted",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": RETRY_INFO, "retryDelay": "53s"}],
        }
    }
    result = classify(_genai(429, body))
    assert (C.RATE_LIMIT, True, 53.0, 429, "gemini") == (
        result.category,
        result.retryable,
        result.retry_after,
        result.status_code,
        result.provider,
    )
    assert "429 RESOURCE_EXHAUSTED Resource exhausted" == result.message


def test_genai_mid_stream_error_reads_the_json_code() -> None:
    """An error chunk in a 200 stream: the chunk's code decides; status 200, in_stream."""
    body = {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}
    result = classify(_genai(503, body, status=200))
    assert (C.OVERLOADED, 200, True) == (result.category, result.status_code, result.in_stream)


def test_genai_5xx_stays_server_side_whatever_the_status_says() -> None:
    """A 500 whose RPC status is a client one is still SERVER (a 5xx is never the caller's)."""
    body = {"error": {"code": 500, "status": "INVALID_ARGUMENT", "message": "prompt is too long"}}
    assert C.SERVER == classify(_genai(500, body)).category


def test_genai_other_classes() -> None:
    """Function-calling errors are BAD_REQUEST; an unparsable answer is UNKNOWN."""
    assert C.BAD_REQUEST == classify(genai_errors.FunctionInvocationError("bad args")).category
    assert C.UNKNOWN == classify(genai_errors.UnknownApiResponseError("not json")).category


def test_genai_continuation_interrupted_takes_the_cause_but_is_not_retried() -> None:
    """Continuation failed after billed output: the cause's category, not retryable."""
    if not hasattr(genai_errors, "ContinuationInterruptedError"):
        pytest.skip("google-genai 2.x (the newest for Python 3.10) has no continuations")
    exc = genai_errors.ContinuationInterruptedError("interrupted")
    exc.__cause__ = httpx2.ReadTimeout("read timed out")
    result = classify(exc)
    assert (C.TIMEOUT, False, True, "gemini") == (
        result.category,
        result.retryable,
        result.in_stream,
        result.provider,
    )
    assert C.UNKNOWN == classify(genai_errors.ContinuationInterruptedError("x")).category


def test_other_google_exceptions_are_not_claimed() -> None:
    """An exception from another ``google.*`` package is left to the other maps."""
    other = type("ClientError", (Exception,), {"__module__": "google.api_core.exceptions"})
    assert C.UNKNOWN == classify(other("x")).category


def _client_error(code: str, status: int, message: str = "m", **headers: str) -> Exception:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {
            "RequestId": "rid-1",
            "HTTPStatusCode": status,
            "HTTPHeaders": {"x-amzn-requestid": "rid-1", **headers},
        },
    }
    return botocore.exceptions.ClientError(response, "Converse")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "status", "message", "expected"),
    [
        ("ThrottlingException", 429, "Too many requests", C.RATE_LIMIT),
        ("ThrottlingException", 429, "Too many tokens per day", C.QUOTA),
        ("ServiceQuotaExceededException", 400, "m", C.QUOTA),
        ("ModelNotReadyException", 429, "m", C.OVERLOADED),
        ("ModelTimeoutException", 408, "m", C.TIMEOUT),
        ("ValidationException", 400, "too many input tokens", C.CONTEXT_LENGTH),
        ("ValidationException", 400, "Input blocked by content filters.", C.CONTENT_FILTER),
        ("ExpiredTokenException", 400, "m", C.AUTH),
        ("SomethingNew", 502, "m", C.SERVER),
        ("SomethingNew", 418, "m", C.BAD_REQUEST),
        ("InternalServerException", 500, "input is too long", C.SERVER),
    ],
)
def test_bedrock_codes(code: str, status: int, message: str, expected: ErrorCategory) -> None:
    """The code decides, refined by the message; unknown codes fall back to the status rule."""
    result = classify(_client_error(code, status, message))
    assert expected == result.category
    assert (status, "rid-1", code, "bedrock") == (
        result.status_code,
        result.request_id,
        result.error_code,
        result.provider,
    )


def test_bedrock_x_amz_retry_after_is_milliseconds() -> None:
    """botocore's ``x-amz-retry-after`` header (ms) is the hint."""
    result = classify(_client_error("ThrottlingException", 429, **{"x-amz-retry-after": "1500"}))
    assert 1.5 == result.retry_after


def test_bedrock_event_stream_error() -> None:
    """An exception event: camelCase code, no status, no request id, in_stream."""
    response = {"Error": {"Code": "modelStreamErrorException", "Message": "stream broke"}}
    exc = botocore.exceptions.EventStreamError(response, "ConverseStream")  # type: ignore[arg-type]
    result = classify(exc)
    assert (C.SERVER, True, None, None, True) == (
        result.category,
        result.retryable,
        result.status_code,
        result.request_id,
        result.in_stream,
    )


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (botocore.exceptions.ReadTimeoutError(endpoint_url="http://x"), C.TIMEOUT),
        (botocore.exceptions.ConnectTimeoutError(endpoint_url="http://x"), C.TIMEOUT),
        (botocore.exceptions.EndpointConnectionError(endpoint_url="http://x"), C.CONNECTION),
        (botocore.exceptions.ConnectionClosedError(endpoint_url="http://x"), C.CONNECTION),
        (botocore.exceptions.NoCredentialsError(), C.AUTH),
        (botocore.exceptions.ParamValidationError(report="bad"), C.BAD_REQUEST),
        (botocore.exceptions.CapacityNotAvailableError(), C.RATE_LIMIT),
    ],
)
def test_botocore_transport_and_setup_errors(exc: Exception, expected: ErrorCategory) -> None:
    """botocore's own classes: timeouts, connection failures, credentials, parameters."""
    result = classify(exc)
    assert expected == result.category
    assert "bedrock" == result.provider


def test_urllib3_errors_botocore_leaks() -> None:
    """A cut event stream leaks urllib3's ProtocolError; its read timeout is a timeout."""
    cut = classify(urllib3.exceptions.ProtocolError("Response ended prematurely"))
    assert (C.CONNECTION, "urllib3") == (cut.category, cut.provider)
    stall = classify(urllib3.exceptions.ReadTimeoutError(None, "/", "Read timed out."))  # type: ignore[arg-type]
    assert C.TIMEOUT == stall.category
    refused = urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    assert C.CONNECTION == classify(refused).category
