"""Metrics and hooks around the real openai client against ``FakeLLMServer``."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

import resilience_kit as rk
from resilience_kit import AttemptRecord, ErrorCategory, metrics
from resilience_kit.testing import FakeLLMServer, Fault, no_wait

pytestmark = pytest.mark.integration
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def _clean_metrics() -> Iterator[None]:
    metrics.reset()
    yield
    metrics.reset()


def test_snapshot_counts_match_a_scripted_sequence(rk_fake_llm: FakeLLMServer) -> None:
    """10 calls, 4 retried 429s, 1 quota stop: the snapshot and the hooks say exactly that."""
    rate_limited = Fault.status(429, headers={"retry-after-ms": "250"}, code="rate_limit_exceeded")
    quota = Fault.status(429, code="insufficient_quota", type="insufficient_quota")
    rk_fake_llm.script(*[rate_limited, Fault.ok()] * 4, quota)  # then plain answers
    seen: list[AttemptRecord] = []

    with rk_fake_llm.openai_client() as client:

        @rk.retry("openai", on_retry=seen.append, on_give_up=seen.append, on_success=seen.append)
        def ask() -> str:
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            return reply.choices[0].message.content or ""

        def ask_or_stop() -> str:
            try:
                return ask()
            except openai.RateLimitError:
                return "quota"

        with no_wait() as waits:
            results = [ask_or_stop() for _ in range(10)]

    assert ["quota"] == [r for r in results if r == "quota"]
    assert "quota" == results[4]
    assert 14 == rk_fake_llm.hits()
    assert [0.25] * 4 == waits.sleeps
    m = metrics.snapshot().function(ask.__qualname__)
    assert (10, 14, 4, 9, 1) == (m.calls, m.attempts, m.retries, m.successes, m.gave_up)
    assert {ErrorCategory.RATE_LIMIT: 4, ErrorCategory.QUOTA: 1} == dict(m.failures)
    assert {"not_retryable": 1} == dict(m.gave_up_reasons)
    assert 10 == m.latency.count
    assert m.latency.maximum >= 0.25  # the server-hinted wait (virtual time) is included
    assert ["retry", "success"] * 4 + ["give_up"] + ["success"] * 5 == [r.outcome for r in seen]
    give_up = seen[8].classification
    assert give_up is not None
    assert ("openai", 429, "insufficient_quota") == (
        give_up.provider,
        give_up.status_code,
        give_up.error_code,
    )
    row = next(line for line in metrics.snapshot().summary_table().splitlines() if "ask" in line)
    assert "quota=1 rate_limit=4" in row
