"""The openai map on the real ``openai.AzureOpenAI`` client against FakeLLMServer.

Azure serves chat completions at ``/openai/deployments/{deployment}/chat/completions
?api-version=...``, sends ``retry-after-ms`` and ``retry-after`` with its 429s, and answers a
content-filter refusal with a 400 whose ``code`` is ``content_filter`` and whose ``innererror``
says ``ResponsibleAIPolicyViolation``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import openai
import pytest

import resilience_kit as rk
from resilience_kit import ErrorCategory, classify
from resilience_kit.testing import FakeLLMServer, Fault, NoWait, RateLimits

pytestmark = pytest.mark.integration
C = ErrorCategory
RETRY, STOP = True, False
DEPLOYMENT = "gpt-4o-prod"
MESSAGES: Any = [{"role": "user", "content": "hi"}]

CONTENT_FILTER_BODY = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
        "management policy. Please modify your prompt and retry.",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {
                "hate": {"filtered": False, "severity": "safe"},
                "violence": {"filtered": True, "severity": "high"},
            },
        },
    }
}
TOKEN_RATE_BODY = {
    "error": {
        "code": "429",
        "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API "
        "version 2024-10-21 have exceeded token rate limit of your current pricing tier. "
        "Please retry after 6 seconds.",
    }
}


@dataclass(frozen=True)
class Case:
    id: str
    fault: Callable[[], Fault]
    category: ErrorCategory
    retryable: bool
    status_code: int
    retry_after: float | None = None
    error_code: str | None = None


CASES = [
    Case(
        "429-retry-after-ms-wins",
        lambda: Fault.status(429, headers={"retry-after-ms": "1500", "retry-after": "2"}),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=1.5,
    ),
    Case(
        "429-token-rate-body",
        lambda: Fault.status(429, headers={"retry-after": "6"}, body=TOKEN_RATE_BODY),
        C.RATE_LIMIT,
        RETRY,
        429,
        retry_after=6.0,
        error_code="429",
    ),
    Case(
        "429-insufficient-quota",
        lambda: Fault.status(429, code="insufficient_quota"),
        C.QUOTA,
        STOP,
        429,
    ),
    Case(
        "400-content-filter",
        lambda: Fault.status(400, body=CONTENT_FILTER_BODY),
        C.CONTENT_FILTER,
        STOP,
        400,
        error_code="content_filter",
    ),
    Case(
        "400-context-length",
        lambda: Fault.status(400, code="context_length_exceeded"),
        C.CONTEXT_LENGTH,
        STOP,
        400,
    ),
    Case("401-bad-key", lambda: Fault.status(401, code="401"), C.AUTH, STOP, 401),
    Case(
        "404-deployment-not-found",
        lambda: Fault.status(404, code="DeploymentNotFound"),
        C.NOT_FOUND,
        STOP,
        404,
        error_code="DeploymentNotFound",
    ),
    Case("500-server", lambda: Fault.status(500), C.SERVER, RETRY, 500),
    Case("503-overloaded", lambda: Fault.status(503), C.OVERLOADED, RETRY, 503),
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    """One server for the table; each row resets it and scripts its own fault."""
    with FakeLLMServer() as running:
        yield running


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_azure_classification(case: Case, server: FakeLLMServer) -> None:
    """Each Azure failure gets the openai map's decision, hint, status and request id."""
    server.reset()
    server.script(case.fault())
    client = server.azure_openai_client()
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)
    found = classify(info.value)
    record = server.requests[0]
    assert f"/openai/deployments/{DEPLOYMENT}/chat/completions" == record.path.partition("?")[0]
    assert "api-version=" in record.path
    assert case.category == found.category
    assert case.retryable == found.retryable
    assert case.status_code == found.status_code
    assert record.request_id == found.request_id
    assert "openai" == found.provider
    assert found.in_stream is False
    if case.error_code is not None:
        assert case.error_code == found.error_code
    if case.retry_after is None:
        assert found.retry_after is None
    else:
        assert found.retry_after == pytest.approx(case.retry_after)


def test_azure_retry_honours_retry_after_ms(rk_fake_llm: FakeLLMServer, rk_no_wait: NoWait) -> None:
    """@retry("openai") on AzureOpenAI: two 429s, three hits, waits from retry-after-ms."""
    client = rk_fake_llm.azure_openai_client()

    @rk.retry("openai")
    def ask() -> str:
        reply = client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)
        return reply.choices[0].message.content or ""

    rk_fake_llm.script(
        Fault.status(429, headers={"retry-after-ms": "250", "retry-after": "1"}),
        Fault.status(429, headers={"retry-after-ms": "750", "retry-after": "1"}),
    )
    assert rk_fake_llm.reply == ask()
    assert 3 == rk_fake_llm.hits(provider="openai")
    assert [0.25, 0.75] == rk_no_wait.sleeps


def test_azure_content_filter_is_not_retried(
    rk_fake_llm: FakeLLMServer, rk_no_wait: NoWait
) -> None:
    """A content-filter 400 is raised after one hit."""
    client = rk_fake_llm.azure_openai_client()

    @rk.retry("openai")
    def ask() -> str:
        reply = client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)
        return reply.choices[0].message.content or ""

    rk_fake_llm.set_outage(Fault.status(400, body=CONTENT_FILTER_BODY))
    with pytest.raises(openai.BadRequestError):
        ask()
    assert 1 == rk_fake_llm.hits()
    assert 0 == rk_no_wait.count


def test_azure_remaining_only_headers_never_serialise_the_limiter() -> None:
    """Azure answers say only what remains (no limit, no reset): the token limiter learns the
    budget from them and lets many calls out at once, never one at a time."""
    limits = RateLimits(requests=600, tokens=60_000, period=60.0, headers="remaining")
    limiter = rk.TokenLimiter()
    lock = threading.Lock()
    flying = [0, 0]  # now, most

    with FakeLLMServer(limits=limits, latency=(0.02, 0.04)) as server:
        client = rk.observe(server.azure_openai_client(), limiter)

        @limiter
        def ask(**kwargs: Any) -> Any:
            with lock:
                flying[0] += 1
                flying[1] = max(flying)
            try:
                return client.chat.completions.create(model="gpt-4o", **kwargs)
            finally:
                with lock:
                    flying[0] -= 1

        def worker() -> None:
            for _ in range(3):
                ask(messages=[{"role": "user", "content": "hi"}], max_tokens=16)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        records = server.requests
    assert 24 == sum(r.status == 200 for r in records)
    assert flying[1] >= 4
    assert limiter.limits[1] is not None
