"""Metrics and hooks around the real openai client against a scripted loopback LLM server."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

import resilience_kit as rk
from resilience_kit import AttemptRecord, ErrorCategory, metrics
from resilience_kit.testing import no_wait
from tests.integration.loopback import LoopbackLLM, Reply, openai_error

pytestmark = pytest.mark.integration
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def server() -> Iterator[LoopbackLLM]:
    """A loopback server for the test, with zeroed metrics."""
    metrics.reset()
    with LoopbackLLM() as running:
        yield running
    metrics.reset()


def test_snapshot_counts_match_a_scripted_sequence(server: LoopbackLLM) -> None:
    """10 calls, 4 retried 429s, 1 quota stop: the snapshot and the hooks say exactly that."""
    rate_limited = openai_error(429, "rate_limit_exceeded", **{"retry-after-ms": "250"})
    script = [rate_limited, Reply()] * 4 + [openai_error(429, "insufficient_quota")]
    server.play(*script, *[Reply()] * 5)
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-test-not-real", max_retries=0)
    seen: list[AttemptRecord] = []

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
    assert ["hi"] * 4 + ["quota"] + ["hi"] * 5 == results
    assert 14 == server.hits
    assert [0.25] * 4 == waits.sleeps
    m = metrics.snapshot().function(ask.__qualname__)
    assert (10, 14, 4, 9, 1) == (m.calls, m.attempts, m.retries, m.successes, m.gave_up)
    assert {ErrorCategory.RATE_LIMIT: 4, ErrorCategory.QUOTA: 1} == dict(m.failures)
    assert {"not_retryable": 1} == dict(m.gave_up_reasons)
    assert 10 == m.latency.count
    assert m.latency.maximum >= 0.25  # virtual time of the server-hinted wait included
    assert ["retry", "success"] * 4 + ["give_up"] + ["success"] * 5 == [r.outcome for r in seen]
    give_up = seen[8]
    assert give_up.classification is not None
    assert ("openai", 429, "insufficient_quota") == (
        give_up.classification.provider,
        give_up.classification.status_code,
        give_up.classification.error_code,
    )
    assert "rate_limit=4" in next(
        line for line in metrics.snapshot().summary_table().splitlines() if "ask" in line
    )
