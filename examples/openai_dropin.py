"""Drop-in: an existing OpenAI script, made resilient with one decorator.

    python examples/openai_dropin.py

Offline, the fake server first answers 429 with a short Retry-After hint; the kit honours it.
"""

from __future__ import annotations

import logging

from _local import OPENAI_MODEL, openai_client

import resilience_kit as rk
from resilience_kit.testing import Fault

client = openai_client(Fault.status(429, headers={"retry-after-ms": "200"}))


@rk.retry("openai")  # the one added line (and max_retries=0 on the client)
def ask(question: str) -> str:
    reply = client.chat.completions.create(
        model=OPENAI_MODEL, messages=[{"role": "user", "content": question}]
    )
    return reply.choices[0].message.content or ""


if __name__ == "__main__":
    # The kit is quiet until the application sets up logging; show its events.
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("resilience_kit").setLevel(logging.INFO)
    print("answer:", ask("Say hello in five words."))
    stats = ask.statistics
    print(f"attempts: {stats['attempt_number']}")
