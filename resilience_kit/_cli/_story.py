"""The scripted story behind ``python -m resilience_kit demo``: real SDK clients, scripted faults.

Every decision shown by the demo is made by the kit itself (``@retry``, ``CircuitBreaker``,
``fallback``); this module only scripts the fake server and calls the decorated functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from resilience_kit import _clock
from resilience_kit._breaker._circuit import CircuitBreaker
from resilience_kit._classify._dispatch import classify
from resilience_kit._retry._decorator import retry
from resilience_kit._throughput._fallback import fallback
from resilience_kit.testing import FakeLLMServer, Fault
from resilience_kit.testing._faults import Provider

__all__ = ["RECOVERY_TIMEOUT", "run_story"]

RECOVERY_TIMEOUT = 10.0  # story seconds the breaker stays open
Say = Callable[..., None]


def run_story(server: FakeLLMServer, openai_client: Any, anthropic_client: Any, say: Say) -> None:
    """Drive both clients through rate limits, an overload, a billing stop, an outage and recovery.

    *say(kind, text, **fields)* records a narration line on the timeline.
    """
    breaker = CircuitBreaker("openai", failure_threshold=3, recovery_timeout=RECOVERY_TIMEOUT)

    @retry("default", max_attempts=3, initial_wait=0.5, max_wait=2.0, deadline=None)
    def ask_openai(prompt: str) -> str:
        reply = openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
        )
        return str(reply.choices[0].message.content)

    @retry("default", max_attempts=3, initial_wait=0.5, max_wait=2.0, deadline=None)
    def ask_anthropic(prompt: str) -> str:
        reply = anthropic_client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=64,
            messages=[{"role": "user", "content": prompt}],
        )
        return str(reply.content[0].text)

    @retry("default", max_attempts=3, initial_wait=0.5, max_wait=2.0, deadline=None)
    def stream_anthropic(prompt: str) -> Iterator[str]:
        stream = anthropic_client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=64,
            messages=[{"role": "user", "content": prompt}],
            stream=True,
        )
        for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield event.delta.text

    @fallback(ask_anthropic)  # outermost: also answers when the circuit is open
    @retry("default", max_attempts=2, initial_wait=0.5, max_wait=2.0, deadline=None)
    @breaker  # inside retry: every attempt counts, and an open circuit ends the retries at once
    def ask_with_fallback(prompt: str) -> str:
        reply = openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
        )
        return str(reply.choices[0].message.content)

    def call(label: str, func: Callable[[str], Any], provider: Provider | None = None) -> None:
        before = server.hits(provider=provider) if provider else server.hits()
        try:
            result = func(label)
            text = "".join(result) if not isinstance(result, str) else result
            outcome, detail = "ok", repr(text[:40])
        except Exception as exc:  # the demo reports every failure the kit let through
            c = classify(exc)
            outcome, detail = "error", f"{type(exc).__name__} ({c.category.value})"
        after = server.hits(provider=provider) if provider else server.hits()
        say("result", f"{label}: {outcome} {detail}", outcome=outcome, server_hits=after - before)

    say("scene", "1. Rate limited: OpenAI answers 429 with retry-after: 2, then succeeds")
    server.enqueue(Fault.status(429, headers={"retry-after": "2"}), provider="openai")
    call("openai chat", ask_openai, "openai")

    say("scene", "2. Anthropic 429 with retry-after: 1, twice, then succeeds")
    server.enqueue(
        Fault.status(429, headers={"retry-after": "1"}),
        Fault.status(429, headers={"retry-after": "1"}),
        provider="anthropic",
    )
    call("anthropic message", ask_anthropic, "anthropic")

    say("scene", "3. Anthropic overloaded mid-stream, before the first text chunk")
    server.enqueue(Fault.stream_error(after=0, type="overloaded_error"), provider="anthropic")
    call("anthropic stream", stream_anthropic, "anthropic")

    say("scene", "4. Anthropic overloaded after 2 text chunks were already delivered")
    server.enqueue(Fault.stream_error(after=2, type="overloaded_error"), provider="anthropic")
    call("anthropic stream (late failure)", stream_anthropic, "anthropic")

    say("scene", "5. Billing stop: OpenAI 429 insufficient_quota (no retry can fix that)")
    server.enqueue(Fault.status(429, code="insufficient_quota"), provider="openai")
    call("openai chat (billing)", ask_openai, "openai")

    say(
        "scene",
        "6. OpenAI outage: every request answers 503; the breaker trips at 3 failed attempts",
    )
    server.set_outage(503, provider="openai")
    for n in (1, 2, 3):
        call(f"ask #{n} (openai, falls back to anthropic)", ask_with_fallback)

    say("scene", "7. Recovery: the outage ends; wait out the breaker's recovery timeout")
    server.clear_outage(provider="openai")
    _clock.sleep(RECOVERY_TIMEOUT)
    call("ask #4 (half-open probe)", ask_with_fallback)
    call("ask #5 (closed again)", ask_with_fallback)
    state = breaker.state.value if hasattr(breaker, "state") else "?"
    say("note", f"breaker 'openai' is {state}", breaker_state=state)
