"""``@retry("gemini")`` and ``@retry("bedrock")`` around the real clients: server hits counted.

Rate limits are retried after the server's hint (Gemini's ``RetryInfo``) or backoff (Bedrock has
none), quota stops are not retried at all, 5xx and overloads are retried up to the preset's
attempts, and a stream is retried only before its first chunk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google import genai

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, Fault, NoWait

pytestmark = pytest.mark.integration
MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES: Any = [{"role": "user", "content": [{"text": "hi"}]}]
PER_DAY = {
    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
    "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
}


def retry_info(delay: str) -> dict[str, str]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


@pytest.fixture
def gemini(rk_fake_llm: FakeLLMServer) -> Callable[[], str]:
    client = rk_fake_llm.gemini_client()

    @rk.retry("gemini")
    def ask() -> str:
        return client.models.generate_content(model="gemini-2.5-flash", contents="hi").text or ""

    return ask


@pytest.fixture
def bedrock(rk_fake_llm: FakeLLMServer) -> Callable[[], str]:
    client = rk_fake_llm.bedrock_client()

    @rk.retry("bedrock")
    def ask() -> str:
        reply = client.converse(modelId=MODEL, messages=MESSAGES)
        return str(reply["output"]["message"]["content"][0]["text"])

    return ask


def test_gemini_rate_limit_waits_for_retry_info(
    rk_fake_llm: FakeLLMServer, gemini: Callable[[], str], rk_no_wait: NoWait
) -> None:
    """Two 429s with RetryInfo 7s then 3s: three hits, and the waits are the server's."""
    rk_fake_llm.script(
        Fault.status(429, details=[retry_info("7s")]),
        Fault.status(429, details=[retry_info("3s")]),
    )
    assert rk_fake_llm.reply == gemini()
    assert 3 == rk_fake_llm.hits(provider="gemini")
    assert [7.0, 3.0] == rk_no_wait.sleeps


def test_gemini_per_day_quota_is_not_retried(
    rk_fake_llm: FakeLLMServer, gemini: Callable[[], str], rk_no_wait: NoWait
) -> None:
    """A per-day quota stop is raised after one hit, even with a RetryInfo hint."""
    rk_fake_llm.set_outage(Fault.status(429, details=[PER_DAY, retry_info("30s")]))
    with pytest.raises(genai.errors.ClientError):
        gemini()
    assert 1 == rk_fake_llm.hits()
    assert 0 == rk_no_wait.count


def test_gemini_5xx_retried_up_to_the_preset(
    rk_fake_llm: FakeLLMServer, gemini: Callable[[], str], rk_no_wait: NoWait
) -> None:
    """A lasting 503 is tried exactly the preset's 5 times; a short one recovers."""
    rk_fake_llm.set_outage(503)
    with pytest.raises(genai.errors.ServerError):
        gemini()
    assert 5 == rk.get_preset("gemini").max_attempts == rk_fake_llm.hits()
    rk_fake_llm.reset()
    rk_fake_llm.script(Fault.status(500), Fault.status(503))
    assert rk_fake_llm.reply == gemini()
    assert 3 == rk_fake_llm.hits()


def test_gemini_rate_limit_mode(rk_no_wait: NoWait) -> None:
    """Against a 1 request/s token bucket, five calls all succeed after the server's hints."""
    with FakeLLMServer(rate_limit=(1.0, 1)) as server:
        client = server.gemini_client()

        @rk.retry("gemini")
        def ask() -> str:
            return client.models.generate_content(model="gemini-2.5-flash", contents="x").text or ""

        assert [server.reply] * 5 == [ask() for _ in range(5)]
        limited = sum(1 for r in server.requests if r.outcome == "rate_limited")
        assert 5 + limited == server.hits()
        assert limited == rk_no_wait.count
        assert all(wait >= 1.0 for wait in rk_no_wait.sleeps)  # RetryInfo, not backoff


def test_gemini_stream_retried_only_before_first_chunk(
    rk_fake_llm: FakeLLMServer, rk_no_wait: NoWait
) -> None:
    """An in-stream error before any text is retried; one after the first chunk is raised."""
    client = rk_fake_llm.gemini_client()

    @rk.retry("gemini")
    def stream() -> Iterator[str]:
        for chunk in client.models.generate_content_stream(model="gemini-2.5-flash", contents="x"):
            yield chunk.text or ""

    rk_fake_llm.script(Fault.stream_error(after=0))
    assert rk_fake_llm.reply == "".join(stream())
    assert 2 == rk_fake_llm.hits()
    rk_fake_llm.reset()
    rk_fake_llm.script(Fault.stream_error(after=1))
    with pytest.raises(genai.errors.ServerError):
        "".join(stream())
    assert 1 == rk_fake_llm.hits()


def test_bedrock_throttling_backs_off_and_recovers(
    rk_fake_llm: FakeLLMServer, bedrock: Callable[[], str], rk_no_wait: NoWait
) -> None:
    """Two ThrottlingExceptions (no hint from Bedrock): three hits, two backoff waits."""
    rk_fake_llm.script(Fault.status(429), Fault.status(429))
    assert rk_fake_llm.reply == bedrock()
    assert 3 == rk_fake_llm.hits(provider="bedrock")
    policy = rk.get_preset("bedrock")
    assert 2 == rk_no_wait.count
    for attempt, wait in enumerate(rk_no_wait.sleeps, start=1):
        low, high = policy.backoff_range(attempt)
        assert low <= wait <= high


def test_bedrock_quota_stops_are_not_retried(
    rk_fake_llm: FakeLLMServer, bedrock: Callable[[], str], rk_no_wait: NoWait
) -> None:
    """ServiceQuotaExceededException and "tokens per day" throttling: one hit each."""
    rk_fake_llm.set_outage(Fault.status(400, type="ServiceQuotaExceededException"))
    with pytest.raises(Exception, match="ServiceQuotaExceededException"):
        bedrock()
    assert 1 == rk_fake_llm.hits()
    rk_fake_llm.reset()
    rk_fake_llm.set_outage(Fault.status(429, message="Too many tokens per day, please wait."))
    with pytest.raises(Exception, match="ThrottlingException"):
        bedrock()
    assert 1 == rk_fake_llm.hits()
    assert 0 == rk_no_wait.count


def test_bedrock_5xx_retried_up_to_the_preset(
    rk_fake_llm: FakeLLMServer, bedrock: Callable[[], str], rk_no_wait: NoWait
) -> None:
    """A lasting 500 is tried the preset's 6 times; 503 then 424 then success: three hits."""
    rk_fake_llm.set_outage(500)
    with pytest.raises(Exception, match="InternalServerException"):
        bedrock()
    assert 6 == rk.get_preset("bedrock").max_attempts == rk_fake_llm.hits()
    rk_fake_llm.reset()
    rk_fake_llm.script(Fault.status(503), Fault.status(424))
    assert rk_fake_llm.reply == bedrock()
    assert 3 == rk_fake_llm.hits()


def test_bedrock_stream_retried_only_before_first_chunk(
    rk_fake_llm: FakeLLMServer, rk_no_wait: NoWait
) -> None:
    """A throttling event before any text is retried; a stream error after text is raised."""
    client = rk_fake_llm.bedrock_client()

    @rk.retry("bedrock")
    def stream() -> Iterator[str]:
        events = client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
        try:
            for event in events:
                if "contentBlockDelta" in event:
                    yield event["contentBlockDelta"]["delta"].get("text", "")
        finally:
            events.close()

    rk_fake_llm.script(Fault.stream_error(after=0, type="throttlingException"))
    assert rk_fake_llm.reply == "".join(stream())
    assert 2 == rk_fake_llm.hits()
    rk_fake_llm.reset()
    rk_fake_llm.script(Fault.stream_error(after=2))
    with pytest.raises(Exception, match="modelStreamErrorException"):
        "".join(stream())
    assert 1 == rk_fake_llm.hits()


def test_bedrock_invoke_model_retried(rk_fake_llm: FakeLLMServer, rk_no_wait: NoWait) -> None:
    """InvokeModel: a throttle then a model timeout, then the Titan-shaped answer."""
    client = rk_fake_llm.bedrock_client()

    @rk.retry("bedrock")
    def ask() -> str:
        reply = client.invoke_model(
            modelId="amazon.titan-text-express-v1", body=b'{"inputText":"x"}'
        )
        return str(json.loads(reply["body"].read())["results"][0]["outputText"])

    rk_fake_llm.script(Fault.status(429), Fault.status(408))
    assert rk_fake_llm.reply == ask()
    assert 3 == rk_fake_llm.hits()
