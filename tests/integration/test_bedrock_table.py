"""classify() on what the real boto3 ``bedrock-runtime`` client raises against FakeLLMServer.

Each row scripts one failure, makes one real call (``Converse``, ``ConverseStream``,
``InvokeModel`` or ``InvokeModelWithResponseStream``) with botocore's retries off, and checks every
decision field. ``RID`` is the ``x-amzn-RequestId`` the server sent; exception events inside an
event stream carry neither a status nor a request id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pytest

from resilience_kit import ErrorCategory, classify
from resilience_kit.testing import FakeLLMServer, Fault

if TYPE_CHECKING:  # boto3-stubs: a development dependency only
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

pytestmark = pytest.mark.integration
C = ErrorCategory
RETRY, STOP = True, False
RID = "<server request id>"
MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES: Any = [{"role": "user", "content": [{"text": "hi"}]}]
CLIENT_TIMEOUT = 0.3
Operation = Literal["converse", "converse_stream", "invoke", "invoke_stream"]


@dataclass(frozen=True)
class Case:
    id: str
    fault: Callable[[], Fault]
    category: ErrorCategory
    retryable: bool
    status_code: int | None
    request_id: str | None = RID
    retry_after: float | None = None
    in_stream: bool = False
    operation: Operation = "converse"
    timeout: float | None = None
    provider: str = "bedrock"
    error_code: str | None = None


def status(code: int, **kwargs: Any) -> Callable[[], Fault]:
    return lambda: Fault.status(code, **kwargs)


def event(after: int, kind: str, message: str | None = None) -> Callable[[], Fault]:
    return lambda: Fault.stream_error(after=after, type=kind, message=message)


CASES: list[Case] = [
    Case("400-validation", status(400), C.BAD_REQUEST, STOP, 400, error_code="ValidationException"),
    Case(
        "400-input-too-long",
        status(400, message="Input is too long for requested model."),
        C.CONTEXT_LENGTH,
        STOP,
        400,
    ),
    Case(
        "400-anthropic-prompt-too-long",
        status(400, message="prompt is too long: 210000 tokens > 200000 maximum"),
        C.CONTEXT_LENGTH,
        STOP,
        400,
    ),
    Case(
        "400-service-quota-exceeded",
        status(400, type="ServiceQuotaExceededException"),
        C.QUOTA,
        STOP,
        400,
        operation="invoke",
        error_code="ServiceQuotaExceededException",
    ),
    Case("403-access-denied", status(403), C.PERMISSION, STOP, 403),
    Case(
        "403-unrecognized-client",
        status(403, type="UnrecognizedClientException", message="The security token is invalid."),
        C.AUTH,
        STOP,
        403,
    ),
    Case("404-resource-not-found", status(404), C.NOT_FOUND, STOP, 404),
    Case(
        "408-model-timeout", status(408), C.TIMEOUT, RETRY, 408, error_code="ModelTimeoutException"
    ),
    Case("424-model-error", status(424), C.SERVER, RETRY, 424),
    Case("429-throttling", status(429), C.RATE_LIMIT, RETRY, 429, error_code="ThrottlingException"),
    Case(
        "429-tokens-per-day-is-quota",
        status(429, message="Too many tokens per day, please wait before trying again."),
        C.QUOTA,
        STOP,
        429,
    ),
    Case(
        "429-model-not-ready",
        status(429, type="ModelNotReadyException"),
        C.OVERLOADED,
        RETRY,
        429,
    ),
    Case(
        "429-x-amz-retry-after",
        status(429, headers={"x-amz-retry-after": "1500"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=1.5,
    ),
    Case("429-invoke-model", status(429), C.RATE_LIMIT, RETRY, 429, operation="invoke"),
    Case("500-internal", status(500), C.SERVER, RETRY, 500, error_code="InternalServerException"),
    Case("503-service-unavailable", status(503), C.OVERLOADED, RETRY, 503),
    Case(
        "429-before-stream",
        status(429),
        C.RATE_LIMIT,
        RETRY,
        429,
        operation="converse_stream",
    ),
    Case(
        "stream-throttling-before-first-chunk",
        event(0, "throttlingException"),
        C.RATE_LIMIT,
        RETRY,
        None,
        request_id=None,
        in_stream=True,
        operation="converse_stream",
        error_code="throttlingException",
    ),
    Case(
        "stream-model-stream-error-after-two-chunks",
        event(2, "modelStreamErrorException"),
        C.SERVER,
        RETRY,
        None,
        request_id=None,
        in_stream=True,
        operation="converse_stream",
    ),
    Case(
        "stream-service-unavailable",
        event(1, "serviceUnavailableException"),
        C.OVERLOADED,
        RETRY,
        None,
        request_id=None,
        in_stream=True,
        operation="converse_stream",
    ),
    Case(
        "stream-internal-server",
        event(1, "internalServerException"),
        C.SERVER,
        RETRY,
        None,
        request_id=None,
        in_stream=True,
        operation="converse_stream",
    ),
    Case(
        "stream-validation-input-too-long",
        event(0, "validationException", "Input is too long for requested model."),
        C.CONTEXT_LENGTH,
        STOP,
        None,
        request_id=None,
        in_stream=True,
        operation="converse_stream",
    ),
    Case(
        "invoke-stream-model-timeout",
        event(1, "modelTimeoutException"),
        C.TIMEOUT,
        RETRY,
        None,
        request_id=None,
        in_stream=True,
        operation="invoke_stream",
    ),
    Case(
        "client-read-timeout",
        lambda: Fault.delay(2.0),
        C.TIMEOUT,
        RETRY,
        None,
        request_id=None,
        timeout=CLIENT_TIMEOUT,
    ),
    Case(
        "stream-stall-timeout",
        lambda: Fault.delay(2.0, after=1),
        C.TIMEOUT,
        RETRY,
        None,
        request_id=None,
        operation="converse_stream",
        timeout=CLIENT_TIMEOUT,
        provider="urllib3",  # botocore does not wrap reads of the event stream
    ),
    Case("dropped", Fault.drop, C.CONNECTION, RETRY, None, request_id=None),
    Case(
        "stream-cut",
        lambda: Fault.stream_cut(after=1),
        C.CONNECTION,
        RETRY,
        None,
        request_id=None,
        operation="converse_stream",
        provider="urllib3",
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    """One server for the table; each row resets it and scripts its own fault."""
    with FakeLLMServer() as running:
        yield running


@pytest.fixture(scope="module")
def clients(server: FakeLLMServer) -> tuple[BedrockRuntimeClient, BedrockRuntimeClient]:
    """A real client with botocore's retries off, and one with a short read timeout."""
    return server.bedrock_client(), server.bedrock_client(timeout=CLIENT_TIMEOUT)


def _call(client: BedrockRuntimeClient, operation: Operation) -> None:
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": []})
    if operation == "converse":
        client.converse(modelId=MODEL, messages=MESSAGES)
    elif operation == "invoke":
        client.invoke_model(modelId=MODEL, body=body)
    else:
        if operation == "converse_stream":
            stream = client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
        else:
            stream = client.invoke_model_with_response_stream(modelId=MODEL, body=body)["body"]
        try:
            list(stream)
        finally:
            stream.close()  # a broken event stream keeps its socket until closed


def test_table_is_large_and_distinct() -> None:
    """The table covers at least 20 distinct Bedrock failure cases."""
    assert len({case.id for case in CASES}) == len(CASES)
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bedrock_classification_table(
    case: Case,
    server: FakeLLMServer,
    clients: tuple[BedrockRuntimeClient, BedrockRuntimeClient],
) -> None:
    """Each scripted failure gets the expected category, hint, status, id and stream flag."""
    server.reset()
    server.script(case.fault())
    client = clients[0] if case.timeout is None else clients[1]
    with pytest.raises(Exception) as info:  # noqa: PT011 - every row names its own expectations
        _call(client, case.operation)
    found = classify(info.value)
    assert 1 == server.hits()  # botocore's own retries are off
    expected_id = server.requests[0].request_id if case.request_id == RID else case.request_id
    assert case.category == found.category
    assert case.retryable == found.retryable
    assert case.status_code == found.status_code
    assert expected_id == found.request_id
    assert case.in_stream == found.in_stream
    assert case.provider == found.provider
    if case.error_code is not None:
        assert case.error_code == found.error_code
    if case.retry_after is None:
        assert found.retry_after is None
    else:
        assert found.retry_after == pytest.approx(case.retry_after, abs=0.01)
