"""FakeLLMServer's provider-style limits: requests and tokens per period, headers always."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from resilience_kit import _clock
from resilience_kit._classify._headers import parse_go_duration
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.testing import FakeLLMServer, RateLimits, no_wait
from resilience_kit.testing._limits import go_duration

pytestmark = pytest.mark.integration
PROMPT: list[Any] = [{"role": "user", "content": "x" * 400}]


def create(client: openai.OpenAI, max_tokens: int = 100) -> Any:
    return client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=PROMPT, max_tokens=max_tokens
    )


def test_openai_headers_on_every_success_count_prompt_plus_max_tokens() -> None:
    """Each answer says limit, remaining and reset; a request costs its prompt plus max_tokens."""
    limits = RateLimits(requests=10, tokens=10_000, period=86_400.0)  # refill ~0 meanwhile
    with no_wait(), FakeLLMServer(limits=limits) as server, server.openai_client() as client:
        raw = create(client)
        usage = raw.parse().usage
        cost = usage.prompt_tokens + 100
        assert "10" == raw.headers["x-ratelimit-limit-requests"]
        assert "9" == raw.headers["x-ratelimit-remaining-requests"]
        assert 8640.0 == pytest.approx(
            parse_go_duration(raw.headers["x-ratelimit-reset-requests"]), abs=1.0
        )
        assert "10000" == raw.headers["x-ratelimit-limit-tokens"]
        assert str(10_000 - cost) == raw.headers["x-ratelimit-remaining-tokens"]
        second = create(client)
        assert str(10_000 - 2 * cost) == second.headers["x-ratelimit-remaining-tokens"]


def test_token_limit_answers_429_typed_tokens_with_whole_second_retry_after() -> None:
    """An exhausted token bucket: 429, type tokens, retry-after in whole seconds, ms in the text."""
    limits = RateLimits(requests=100, tokens=500, period=60.0)
    with no_wait(), FakeLLMServer(limits=limits) as server, server.openai_client() as client:
        create(client, max_tokens=300)
        with pytest.raises(openai.RateLimitError) as caught:
            create(client, max_tokens=300)
    error = caught.value
    assert "tokens" == error.type
    assert "rate_limit_exceeded" == error.code
    retry_after = error.response.headers["retry-after"]
    assert retry_after.isdigit()
    assert "Please try again in " in error.message
    assert "on tokens per min (TPM)" in error.message
    assert "x-ratelimit-remaining-tokens" in error.response.headers
    assert int(retry_after) >= 1


def test_request_limit_answers_429_typed_requests() -> None:
    """An exhausted request bucket: 429 of type requests."""
    limits = RateLimits(requests=2, tokens=100_000, period=60.0)
    with no_wait(), FakeLLMServer(limits=limits) as server, server.openai_client() as client:
        create(client)
        create(client)
        with pytest.raises(openai.RateLimitError) as caught:
            create(client)
    assert "requests" == caught.value.type
    assert "0" == caught.value.response.headers["x-ratelimit-remaining-requests"]
    assert 3 == server.hits()


def test_buckets_refill_continuously() -> None:
    """Half a period later, half the request quota is back."""
    limits = RateLimits(requests=10, period=60.0)
    with no_wait(), FakeLLMServer(limits=limits) as server, server.openai_client() as client:
        for _ in range(10):
            create(client)
        _clock.sleep(30.0)  # virtual: the server reads the same clock
        raw = create(client)
    assert "4" == raw.headers["x-ratelimit-remaining-requests"]


def test_depth_sets_the_bucket_size() -> None:
    """A bucket holding a tenth of the period's quota starts with a tenth of it."""
    limits = RateLimits(requests=100, tokens=10_000, period=6000.0, depth=600.0)
    with no_wait(), FakeLLMServer(limits=limits) as server, server.openai_client() as client:
        raw = create(client, max_tokens=1)
        cost = raw.parse().usage.prompt_tokens + 1
    assert "100" == raw.headers["x-ratelimit-limit-requests"]
    assert "9" == raw.headers["x-ratelimit-remaining-requests"]
    assert str(1000 - cost) == raw.headers["x-ratelimit-remaining-tokens"]


def test_anthropic_headers_and_rate_limit_error() -> None:
    """Anthropic answers carry anthropic-ratelimit-* headers; an empty bucket is a 429."""
    limits = RateLimits(requests=1, tokens=10_000, period=60.0)
    with no_wait(), FakeLLMServer(limits=limits) as server, server.anthropic_client() as client:
        raw = client.messages.with_raw_response.create(
            model="claude-x", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
        with pytest.raises(anthropic.RateLimitError) as caught:
            client.messages.create(
                model="claude-x", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )
    assert "1" == raw.headers["anthropic-ratelimit-requests-limit"]
    assert "0" == raw.headers["anthropic-ratelimit-requests-remaining"]
    assert raw.headers["anthropic-ratelimit-tokens-reset"].endswith("Z")
    assert "anthropic-ratelimit-input-tokens-remaining" in raw.headers
    assert caught.value.response.headers["retry-after"].isdigit()
    assert "of 1 requests per minute." in caught.value.message


def test_a_scaled_down_period_is_named_in_the_429() -> None:
    """A 6 s period (a minute scaled down for tests) is not called a minute."""
    limits = RateLimits(requests=1, tokens=10_000, period=6.0)
    with no_wait(), FakeLLMServer(limits=limits) as server, server.anthropic_client() as client:
        hi: list[Any] = [{"role": "user", "content": "hi"}]
        client.messages.create(model="claude-x", max_tokens=10, messages=hi)
        with pytest.raises(anthropic.RateLimitError) as caught:
            client.messages.create(model="claude-x", max_tokens=10, messages=hi)
    assert "of 1 requests per 6 seconds." in caught.value.message


def test_azure_style_headers_say_only_what_remains() -> None:
    """headers="remaining": Azure OpenAI's set, no limit and no reset; still prompt+max_tokens."""
    limits = RateLimits(requests=10, tokens=10_000, period=86_400.0, headers="remaining")
    with no_wait(), FakeLLMServer(limits=limits) as server, server.openai_client() as client:
        raw = create(client)
        cost = raw.parse().usage.prompt_tokens + 100
    rate_headers = sorted(name for name in raw.headers if name.startswith("x-ratelimit"))
    assert ["x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens"] == rate_headers
    assert str(10_000 - cost) == raw.headers["x-ratelimit-remaining-tokens"]


def test_anthropic_output_limit_counts_max_tokens_then_gives_back_the_unused() -> None:
    """With an output limit, Anthropic requests count the prompt against the input limit and
    max_tokens against the output limit; what the answer did not use comes back."""
    limits = RateLimits(requests=10, tokens=10_000, output_tokens=2_000, period=86_400.0)
    with no_wait(), FakeLLMServer(limits=limits) as server, server.anthropic_client() as client:
        raw = client.messages.with_raw_response.create(
            model="claude-x", max_tokens=500, messages=PROMPT
        )
        usage = raw.parse().usage
        second = client.messages.with_raw_response.create(
            model="claude-x", max_tokens=500, messages=PROMPT
        )
    assert (
        str(10_000 - usage.input_tokens)
        == raw.headers["anthropic-ratelimit-input-tokens-remaining"]
    )
    assert "1500" == raw.headers["anthropic-ratelimit-output-tokens-remaining"]
    after = 2_000 - usage.output_tokens - 500  # the first gave back what it did not use
    assert str(after) == second.headers["anthropic-ratelimit-output-tokens-remaining"]
    assert "2000" == raw.headers["anthropic-ratelimit-output-tokens-limit"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0ms"), (0.5, "500ms"), (1.5, "1.5s"), (6.0, "6s"), (360.0, "6m0s"), (61.25, "1m1.25s")],
)
def test_go_duration(seconds: float, text: str) -> None:
    """Durations are written the way OpenAI writes them."""
    assert text == go_duration(seconds)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: RateLimits(requests=0), "requests"),
        (lambda: RateLimits(tokens=1.5), "tokens"),  # type: ignore[arg-type]
        (lambda: RateLimits(requests=1, period=0), "period"),
        (lambda: RateLimits(requests=1, period=6, depth=60), "depth"),
        (lambda: RateLimits(requests=1, output_tokens=0), "output_tokens"),
        (lambda: RateLimits(requests=1, headers="azure"), "headers"),  # type: ignore[arg-type]
        (lambda: RateLimits(), "requests"),
        (lambda: FakeLLMServer(limits=(1, 2)), "limits"),  # type: ignore[arg-type]
        (lambda: FakeLLMServer(latency=(2.0, 1.0)), "latency"),
    ],
)
def test_bad_limits_name_the_field(make: Any, field: str) -> None:
    """Invalid limits fail at construction with the field's name."""
    with pytest.raises(ConfigurationError, match=field):
        make()
