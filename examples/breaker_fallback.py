"""Breaker + fallback between providers: when OpenAI is down, answer from Anthropic.

    python examples/breaker_fallback.py

The breaker counts failed attempts; once open it rejects calls at once,
without touching OpenAI, and ``fallback`` sends them to Anthropic. Offline, the fake server's
OpenAI side answers 503 to every request.
"""

from __future__ import annotations

import logging

from _local import ANTHROPIC_MODEL, OPENAI_MODEL, anthropic_client, offline, openai_client, server

import resilience_kit as rk

gpt = openai_client()
claude = anthropic_client()
if offline("openai"):
    server().set_outage(503, provider="openai")

openai_breaker = rk.CircuitBreaker("openai", failure_threshold=3, recovery_timeout=30.0)


@rk.retry("interactive")
def ask_claude(question: str) -> str:
    reply = claude.messages.create(
        model=ANTHROPIC_MODEL, max_tokens=200, messages=[{"role": "user", "content": question}]
    )
    return "".join(block.text for block in reply.content if block.type == "text")


@rk.fallback(ask_claude)  # outermost: also answers when the circuit is open
@rk.retry("interactive", max_attempts=2)  # an open circuit ends the retries at once
@openai_breaker  # inside retry: every attempt counts
def ask(question: str) -> str:
    reply = gpt.chat.completions.create(
        model=OPENAI_MODEL, messages=[{"role": "user", "content": question}]
    )
    return reply.choices[0].message.content or ""


if __name__ == "__main__":
    # The kit is quiet until the application sets up logging; show its events.
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("resilience_kit").setLevel(logging.INFO)
    for n in range(4):
        print(f"answer {n}: {ask('Name a prime number.')} [breaker {openai_breaker.state.value}]")
    if offline("openai"):
        print(f"openai requests sent: {server().hits(provider='openai')}")
