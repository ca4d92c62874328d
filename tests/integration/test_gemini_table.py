"""classify() on what the real ``google-genai`` client raises against FakeLLMServer.

Each row scripts one failure, makes one real ``google.genai.Client`` call with the SDK's own
retries off, and checks every decision field. Gemini sends no request id header, so
``request_id`` is None throughout; transport errors surface as raw ``httpx2`` errors (``httpx``
with google-genai 2.x).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from google import genai

from resilience_kit import ErrorCategory, classify
from resilience_kit.testing import FakeLLMServer, Fault

# google-genai 3.x sends through httpx2; 2.x (the newest for Python 3.10) through httpx.
TRANSPORT = "httpx2" if int(genai.__version__.split(".")[0]) >= 3 else "httpx"

pytestmark = pytest.mark.integration
C = ErrorCategory
RETRY, STOP = True, False
MODEL = "gemini-2.5-flash"
CLIENT_TIMEOUT = 0.25
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure"


METRIC = "generativelanguage.googleapis.com/generate_content_free_tier_requests"


def retry_info(delay: str) -> dict[str, Any]:
    return {"@type": RETRY_INFO, "retryDelay": delay}


def quota(quota_id: str, value: str = "15") -> dict[str, Any]:
    return {
        "@type": QUOTA_FAILURE,
        "violations": [
            {
                "quotaMetric": METRIC,
                "quotaId": quota_id,
                "quotaDimensions": {"location": "global", "model": MODEL},
                "quotaValue": value,
            }
        ],
    }


@dataclass(frozen=True)
class Case:
    id: str
    fault: Callable[[], Fault]
    category: ErrorCategory
    retryable: bool
    status_code: int | None
    retry_after: float | None = None
    in_stream: bool = False
    stream: bool = False
    timeout: float | None = None
    provider: str = "gemini"


def status(code: int, **kwargs: Any) -> Callable[[], Fault]:
    return lambda: Fault.status(code, **kwargs)


PER_MINUTE = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
PER_DAY = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"

CASES: list[Case] = [
    Case("400-invalid-argument", status(400), C.BAD_REQUEST, STOP, 400),
    Case(
        "400-input-token-limit",
        status(
            400,
            message="The input token count (1200000) exceeds the maximum number of tokens "
            "allowed (1048576).",
        ),
        C.CONTEXT_LENGTH,
        STOP,
        400,
    ),
    Case(
        "400-api-key-invalid",
        status(
            400,
            message="API key not valid. Please pass a valid API key.",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ],
        ),
        C.AUTH,
        STOP,
        400,
    ),
    Case(
        "400-prohibited-content",
        status(400, message="The prompt was blocked: prohibited content."),
        C.CONTENT_FILTER,
        STOP,
        400,
    ),
    Case("401-unauthenticated", status(401), C.AUTH, STOP, 401),
    Case("403-permission-denied", status(403), C.PERMISSION, STOP, 403),
    Case("404-not-found", status(404), C.NOT_FOUND, STOP, 404),
    Case("409-aborted", status(409), C.CONFLICT, RETRY, 409),
    Case(
        "429-per-minute-retry-info",
        status(429, details=[quota(PER_MINUTE), retry_info("37s")]),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=37.0,
    ),
    Case(
        "429-retry-info-fractional",
        status(429, details=[retry_info("1.5s")]),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=1.5,
    ),
    Case(
        "429-per-day-is-quota",
        status(429, details=[quota(PER_DAY, "250"), retry_info("22s")]),
        C.QUOTA,
        STOP,
        429,
        retry_after=22.0,  # kept as a fact; a quota stop is not retried whatever it says
    ),
    Case(
        "429-limit-zero-is-quota",
        status(429, details=[quota(PER_MINUTE, "0"), retry_info("10s")]),
        C.QUOTA,
        STOP,
        429,
        retry_after=10.0,
    ),
    Case(
        "429-hint-in-message-only",
        status(429, message="Quota exceeded for metric: x, limit: 15. Please retry in 10.689s."),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=10.689,
    ),
    Case(
        "429-retry-after-header",
        status(429, headers={"retry-after": "5"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=5.0,
    ),
    Case("429-no-hint", status(429), C.RATE_LIMIT, RETRY, 429),
    Case("500-internal", status(500), C.SERVER, RETRY, 500),
    Case("502-html-body", status(502, body="<html>Bad Gateway</html>"), C.SERVER, RETRY, 502),
    Case("503-unavailable", status(503), C.OVERLOADED, RETRY, 503),
    Case("504-deadline-exceeded", status(504), C.TIMEOUT, RETRY, 504),
    Case(
        "429-before-stream",
        status(429, details=[retry_info("2s")]),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=2.0,
        stream=True,
    ),
    Case(
        "stream-error-before-first-chunk",
        lambda: Fault.stream_error(after=0),
        C.OVERLOADED,
        RETRY,
        200,
        in_stream=True,
        stream=True,
    ),
    Case(
        "stream-error-after-two-chunks",
        lambda: Fault.stream_error(after=2, type="INTERNAL"),
        C.SERVER,
        RETRY,
        200,
        in_stream=True,
        stream=True,
    ),
    Case(
        "stream-error-resource-exhausted",
        lambda: Fault.stream_error(after=1, type="RESOURCE_EXHAUSTED"),
        C.RATE_LIMIT,
        RETRY,
        200,
        in_stream=True,
        stream=True,
    ),
    Case(
        "client-timeout",
        lambda: Fault.delay(2.0),
        C.TIMEOUT,
        RETRY,
        None,
        timeout=CLIENT_TIMEOUT,
        provider=TRANSPORT,
    ),
    Case(
        "stream-stall-timeout",
        lambda: Fault.delay(2.0, after=1),
        C.TIMEOUT,
        RETRY,
        None,
        stream=True,
        timeout=CLIENT_TIMEOUT,
        provider=TRANSPORT,
    ),
    Case("dropped", Fault.drop, C.CONNECTION, RETRY, None, provider=TRANSPORT),
    Case(
        "stream-cut",
        lambda: Fault.stream_cut(after=1),
        C.CONNECTION,
        RETRY,
        None,
        stream=True,
        provider=TRANSPORT,
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    """One server for the table; each row resets it and scripts its own fault."""
    with FakeLLMServer() as running:
        yield running


@pytest.fixture(scope="module")
def clients(server: FakeLLMServer) -> tuple[genai.Client, genai.Client]:
    """A real client with the SDK's retries off, and one with a short timeout."""
    return server.gemini_client(), server.gemini_client(timeout=CLIENT_TIMEOUT)


def _call(client: genai.Client, *, stream: bool) -> None:
    if stream:
        list(client.models.generate_content_stream(model=MODEL, contents="hi"))
    else:
        client.models.generate_content(model=MODEL, contents="hi")


def test_table_is_large_and_distinct() -> None:
    """The table covers at least 20 distinct Gemini failure cases."""
    assert len({case.id for case in CASES}) == len(CASES)
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_gemini_classification_table(
    case: Case, server: FakeLLMServer, clients: tuple[genai.Client, genai.Client]
) -> None:
    """Each scripted failure gets the expected category, hint, status, id and stream flag."""
    server.reset()
    server.script(case.fault())
    client = clients[0] if case.timeout is None else clients[1]
    with pytest.raises(Exception) as info:  # noqa: PT011 - every row names its own expectations
        _call(client, stream=case.stream)
    found = classify(info.value)
    assert 1 == server.hits()  # the SDK's own retries are off
    assert case.category == found.category
    assert case.retryable == found.retryable
    assert case.status_code == found.status_code
    assert found.request_id is None  # Gemini sends none
    assert case.in_stream == found.in_stream
    assert case.provider == found.provider
    if case.retry_after is None:
        assert found.retry_after is None
    else:
        assert found.retry_after == pytest.approx(case.retry_after, abs=0.01)
