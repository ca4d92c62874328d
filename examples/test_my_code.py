"""Testing your own code: the ``rk_fake_llm`` fixture and ``no_wait``.

    python -m pytest examples/test_my_code.py

``rk_fake_llm`` (a pytest plugin installed with the kit) is a started FakeLLMServer; script the
failures your code must survive. ``no_wait()`` makes the kit's waits instant and records them.
"""

from __future__ import annotations

import openai
import pytest

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, Fault, no_wait


# --- your code (normally imported from your package) ---------------------------------------
@rk.retry("openai")
def summarize(client: openai.OpenAI, text: str) -> str:
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Summarize: {text}"}]
    )
    return reply.choices[0].message.content or ""


# --- its tests ------------------------------------------------------------------------------
def test_rate_limit_waits_as_the_server_asks(rk_fake_llm: FakeLLMServer) -> None:
    """A 429 with retry-after: 20 is retried once after exactly 20 (virtual) seconds."""
    rk_fake_llm.enqueue(Fault.status(429, headers={"retry-after": "20"}), provider="openai")
    with no_wait() as waits:
        assert rk_fake_llm.reply == summarize(rk_fake_llm.openai_client(), "a long text")
    assert [20.0] == waits.sleeps
    assert 2 == rk_fake_llm.hits(provider="openai")


def test_billing_stop_is_not_retried(rk_fake_llm: FakeLLMServer) -> None:
    """insufficient_quota fails at once: one request, no wait."""
    rk_fake_llm.enqueue(Fault.status(429, code="insufficient_quota"), provider="openai")
    with no_wait() as waits, pytest.raises(openai.RateLimitError) as caught:
        summarize(rk_fake_llm.openai_client(), "a long text")
    assert rk.ErrorCategory.QUOTA == rk.classify(caught.value).category
    assert [] == waits.sleeps
    assert 1 == rk_fake_llm.hits(provider="openai")


def test_outage_gives_up_after_the_preset_attempts(rk_fake_llm: FakeLLMServer) -> None:
    """A persistent 503 is tried as many times as the openai preset allows, then raised."""
    rk_fake_llm.set_outage(503, provider="openai")
    with no_wait(), pytest.raises(openai.InternalServerError):
        summarize(rk_fake_llm.openai_client(), "a long text")
    assert rk.get_preset("openai").max_attempts == rk_fake_llm.hits(provider="openai")
