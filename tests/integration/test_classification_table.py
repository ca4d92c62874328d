"""classify() on what the real openai and anthropic clients raise against FakeLLMServer.

Each row scripts one failure on a real loopback server, makes one real SDK call (``max_retries=0``)
and checks every decision field of the Classification. ``RID`` means "the request id the server
sent for this request"; hint values that depend on the clock are checked to within a second.
Cuts and stalls after the 200 are transport errors that carry no stream marker, so ``in_stream``
stays False for them (only provider error events set it); the retry layer tracks yielded items.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import anthropic
import openai
import pytest

from resilience_kit import Classification, ErrorCategory, classify
from resilience_kit.testing import FakeLLMServer, Fault

pytestmark = pytest.mark.integration
C = ErrorCategory
MESSAGES: Any = [{"role": "user", "content": "hi"}]
RID = "<server request id>"
CLIENT_TIMEOUT = 0.25
RETRY, STOP = True, False  # the expected ``retryable``


def _http_date(seconds: float) -> str:
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


def _rfc3339(seconds: float) -> str:
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Case:
    id: str
    provider: Literal["openai", "anthropic"]
    fault: Callable[[], Fault]  # built at run time: some headers hold clock values
    category: ErrorCategory
    retryable: bool
    status_code: int | None
    request_id: str | None = RID
    retry_after: float | None = None
    in_stream: bool = False
    stream: bool = False
    timeout: float | None = None


def status(status_code: int, **kwargs: Any) -> Callable[[], Fault]:
    return lambda: Fault.status(status_code, **kwargs)


def hinted(
    code: int, make_headers: Callable[[], dict[str, str]], **kwargs: Any
) -> Callable[[], Fault]:
    return lambda: Fault.status(code, headers=make_headers(), **kwargs)


CASES: list[Case] = [
    # -- OpenAI: status classes and body sub-cases --------------------------------------------
    Case("openai-400", "openai", status(400), C.BAD_REQUEST, STOP, 400),
    Case(
        "openai-400-context-length",
        "openai",
        status(400, code="context_length_exceeded"),
        C.CONTEXT_LENGTH,
        STOP,
        400,
    ),
    Case(
        "openai-400-content-policy",
        "openai",
        status(400, code="content_policy_violation"),
        C.CONTENT_FILTER,
        STOP,
        400,
    ),
    Case("openai-401", "openai", status(401, code="invalid_api_key"), C.AUTH, STOP, 401),
    Case("openai-403", "openai", status(403), C.PERMISSION, STOP, 403),
    Case("openai-404", "openai", status(404, code="model_not_found"), C.NOT_FOUND, STOP, 404),
    Case("openai-408", "openai", status(408), C.TIMEOUT, RETRY, 408),
    Case("openai-409", "openai", status(409), C.CONFLICT, RETRY, 409),
    Case("openai-413", "openai", status(413), C.BAD_REQUEST, STOP, 413),
    Case("openai-422", "openai", status(422), C.BAD_REQUEST, STOP, 422),
    Case(
        "openai-429-rate-retry-after-seconds",
        "openai",
        status(429, code="rate_limit_exceeded", headers={"retry-after": "2"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=2.0,
    ),
    Case(
        "openai-429-slow-down",
        "openai",
        status(429, code="slow_down", type="rate_limit_error"),
        C.RATE_LIMIT,
        RETRY,
        429,
    ),
    Case(
        "openai-429-quota",
        "openai",
        status(429, code="insufficient_quota", headers={"retry-after": "2"}),
        C.QUOTA,
        STOP,
        429,
        retry_after=2.0,  # the hint is kept as a fact; QUOTA is not retried whatever it says
    ),
    Case(
        "openai-429-spend-limit",
        "openai",
        status(429, code="project_spend_limit_exceeded"),
        C.QUOTA,
        STOP,
        429,
    ),
    Case(
        "openai-429-retry-after-float",
        "openai",
        status(429, code="rate_limit_exceeded", headers={"retry-after": "1.5"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=1.5,
    ),
    Case(
        "openai-429-retry-after-ms-wins",
        "openai",
        status(429, headers={"retry-after-ms": "250", "retry-after": "9"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=0.25,
    ),
    Case(
        "openai-429-retry-after-http-date",
        "openai",
        hinted(429, lambda: {"retry-after": _http_date(30)}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=30.0,
    ),
    Case(
        "openai-429-x-ratelimit-reset-requests",
        "openai",
        status(429, headers={"x-ratelimit-reset-requests": "6m0s"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=360.0,
    ),
    Case(
        "openai-429-x-ratelimit-reset-tokens",
        "openai",
        status(429, headers={"x-ratelimit-reset-tokens": "1.5s"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=1.5,
    ),
    Case(
        "openai-429-garbage-hint",
        "openai",
        status(429, headers={"retry-after": "soon", "x-ratelimit-reset-requests": "-5s"}),
        C.RATE_LIMIT,
        RETRY,
        429,
    ),
    Case("openai-500", "openai", status(500), C.SERVER, RETRY, 500),
    Case("openai-502", "openai", status(502), C.SERVER, RETRY, 502),
    Case(
        "openai-503-overloaded",
        "openai",
        status(503, code="server_is_overloaded", type="service_unavailable_error"),
        C.OVERLOADED,
        RETRY,
        503,
    ),
    Case("openai-504", "openai", status(504), C.SERVER, RETRY, 504),
    Case(
        "openai-500-x-should-retry-false",
        "openai",
        status(500, headers={"x-should-retry": "false"}),
        C.SERVER,
        STOP,
        500,
    ),
    Case(
        "openai-400-x-should-retry-true",
        "openai",
        status(400, headers={"x-should-retry": "true"}),
        C.BAD_REQUEST,
        RETRY,
        400,
    ),
    Case(
        "openai-429-before-stream",
        "openai",
        status(429, headers={"retry-after-ms": "100"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=0.1,
        stream=True,
    ),
    # -- OpenAI: transport and mid-stream --------------------------------------------------------
    Case(
        "openai-client-timeout",
        "openai",
        lambda: Fault.delay(2.0),
        C.TIMEOUT,
        RETRY,
        None,
        request_id=None,
        timeout=CLIENT_TIMEOUT,
    ),
    Case(
        "openai-stream-stall-timeout",
        "openai",
        lambda: Fault.delay(2.0, after=1),
        C.TIMEOUT,
        RETRY,
        None,
        request_id=None,
        stream=True,
        timeout=CLIENT_TIMEOUT,
    ),
    Case("openai-dropped", "openai", Fault.drop, C.CONNECTION, RETRY, None, request_id=None),
    Case(
        "openai-stream-error-event",
        "openai",
        lambda: Fault.stream_error(after=2),
        C.SERVER,
        RETRY,
        None,
        request_id=None,  # a mid-stream APIError has no response, so no request id
        in_stream=True,
        stream=True,
    ),
    Case(
        "openai-stream-error-event-rate-limit",
        "openai",
        lambda: Fault.stream_error(after=0, type="rate_limit_error", code="rate_limit_exceeded"),
        C.RATE_LIMIT,
        RETRY,
        None,
        request_id=None,
        in_stream=True,
        stream=True,
    ),
    Case(
        "openai-stream-cut",
        "openai",
        lambda: Fault.stream_cut(after=1),
        C.CONNECTION,
        RETRY,
        None,
        request_id=None,
        stream=True,
    ),
    # -- Anthropic: status classes and sub-cases ------------------------------------------------
    Case("anthropic-400", "anthropic", status(400), C.BAD_REQUEST, STOP, 400),
    Case(
        "anthropic-400-prompt-too-long",
        "anthropic",
        status(400, message="prompt is too long: 210000 tokens > 200000 maximum"),
        C.CONTEXT_LENGTH,
        STOP,
        400,
    ),
    Case("anthropic-401", "anthropic", status(401), C.AUTH, STOP, 401),
    Case("anthropic-402-billing", "anthropic", status(402), C.QUOTA, STOP, 402),
    Case("anthropic-403", "anthropic", status(403), C.PERMISSION, STOP, 403),
    Case("anthropic-404", "anthropic", status(404), C.NOT_FOUND, STOP, 404),
    Case("anthropic-408", "anthropic", status(408), C.TIMEOUT, RETRY, 408),
    Case("anthropic-409", "anthropic", status(409), C.CONFLICT, RETRY, 409),
    Case("anthropic-413", "anthropic", status(413), C.BAD_REQUEST, STOP, 413),
    Case("anthropic-422", "anthropic", status(422), C.BAD_REQUEST, STOP, 422),
    Case(
        "anthropic-429-retry-after",
        "anthropic",
        status(429, headers={"retry-after": "7"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=7.0,
    ),
    Case(
        "anthropic-429-ratelimit-reset-rfc3339",
        "anthropic",
        hinted(429, lambda: {"anthropic-ratelimit-requests-reset": _rfc3339(20)}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=20.0,
    ),
    Case(
        "anthropic-429-enforced-spend-limit",
        "anthropic",
        status(429, code="enforced_spend_limit_reached"),
        C.QUOTA,
        STOP,
        429,
    ),
    Case(
        "anthropic-429-ramp-limit",
        "anthropic",
        status(429, code="ramp_limit_exceeded", headers={"retry-after": "3"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=3.0,
    ),
    Case("anthropic-500", "anthropic", status(500), C.SERVER, RETRY, 500),
    Case("anthropic-502", "anthropic", status(502), C.SERVER, RETRY, 502),
    Case("anthropic-503", "anthropic", status(503), C.OVERLOADED, RETRY, 503),
    Case("anthropic-504", "anthropic", status(504), C.SERVER, RETRY, 504),
    Case(
        "anthropic-529-retry-after-ms",
        "anthropic",
        status(529, headers={"retry-after-ms": "1500"}),
        C.OVERLOADED,
        RETRY,
        529,
        retry_after=1.5,
    ),
    Case(
        "anthropic-529-x-should-retry-false",
        "anthropic",
        status(529, headers={"x-should-retry": "false"}),
        C.OVERLOADED,
        STOP,
        529,
    ),
    Case(
        "anthropic-400-x-should-retry-true",
        "anthropic",
        status(400, headers={"x-should-retry": "true"}),
        C.BAD_REQUEST,
        RETRY,
        400,
    ),
    Case(
        "anthropic-529-before-stream",
        "anthropic",
        status(529),
        C.OVERLOADED,
        RETRY,
        529,
        stream=True,
    ),
    # -- Anthropic: transport and mid-stream ----------------------------------------------------
    Case(
        "anthropic-client-timeout",
        "anthropic",
        lambda: Fault.delay(2.0),
        C.TIMEOUT,
        RETRY,
        None,
        request_id=None,
        timeout=CLIENT_TIMEOUT,
    ),
    Case("anthropic-dropped", "anthropic", Fault.drop, C.CONNECTION, RETRY, None, request_id=None),
    Case(
        "anthropic-stream-error-overloaded",
        "anthropic",
        lambda: Fault.stream_error(after=1),
        C.OVERLOADED,
        RETRY,
        200,
        in_stream=True,
        stream=True,
    ),
    Case(
        "anthropic-stream-error-api-error",
        "anthropic",
        lambda: Fault.stream_error(after=0, type="api_error"),
        C.SERVER,
        RETRY,
        200,
        in_stream=True,
        stream=True,
    ),
    Case(
        "anthropic-stream-stall-timeout",
        "anthropic",
        lambda: Fault.delay(2.0, after=1),
        C.TIMEOUT,
        RETRY,
        None,
        request_id=None,  # mid-stream: APITimeoutError since 2.17, raw ReadTimeout before
        stream=True,
        timeout=CLIENT_TIMEOUT,
    ),
    Case(
        "anthropic-stream-cut",
        "anthropic",
        lambda: Fault.stream_cut(after=2),
        C.CONNECTION,
        RETRY,
        None,
        request_id=None,
        stream=True,
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    """One server for the table; each row resets it and scripts its own fault."""
    with FakeLLMServer() as running:
        yield running


@pytest.fixture(scope="module")
def clients(server: FakeLLMServer) -> Iterator[tuple[openai.OpenAI, anthropic.Anthropic]]:
    """One real client per provider, ``max_retries=0``, closed after the table."""
    with server.openai_client() as oai, server.anthropic_client() as ant:
        yield oai, ant


def _call(case: Case, clients: tuple[openai.OpenAI, anthropic.Anthropic]) -> None:
    oai, ant = clients
    if case.provider == "openai":
        client = oai if case.timeout is None else oai.with_options(timeout=case.timeout)
        if case.stream:
            list(client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
        else:
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        return
    aclient = ant if case.timeout is None else ant.with_options(timeout=case.timeout)
    if case.stream:
        with aclient.messages.stream(model="claude-x", max_tokens=5, messages=MESSAGES) as events:
            list(events)
    else:
        aclient.messages.create(model="claude-x", max_tokens=5, messages=MESSAGES)


def _classify_case(
    case: Case, server: FakeLLMServer, clients: tuple[openai.OpenAI, anthropic.Anthropic]
) -> tuple[Classification, str]:
    server.reset()
    server.script(case.fault())
    with pytest.raises(Exception) as info:  # noqa: PT011 - every row names its own expectations
        _call(case, clients)
    return classify(info.value), server.requests[0].request_id


def test_table_is_large_and_distinct() -> None:
    """The table covers at least 25 distinct failure cases."""
    assert len({case.id for case in CASES}) == len(CASES)
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_classification_table(
    case: Case, server: FakeLLMServer, clients: tuple[openai.OpenAI, anthropic.Anthropic]
) -> None:
    """Each scripted failure gets the expected category, hint, status, id and stream flag."""
    found, request_id = _classify_case(case, server, clients)
    expected_id = request_id if case.request_id == RID else case.request_id
    assert case.category == found.category
    assert case.retryable == found.retryable
    assert case.status_code == found.status_code
    assert expected_id == found.request_id
    assert case.in_stream == found.in_stream
    if case.retry_after is None:
        assert found.retry_after is None
    else:
        assert found.retry_after == pytest.approx(case.retry_after, abs=1.5)
    assert case.provider == found.provider or found.provider == "httpx2"
