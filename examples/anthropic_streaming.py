"""Anthropic with streaming: a retried generator that never duplicates output.

    python examples/anthropic_streaming.py

``@retry`` on a generator retries only until its first item: an overload before any text is
retried; a failure after text was yielded is raised (with a note) instead of repeating it.
Offline, the fake server answers the first stream with an in-stream ``overloaded_error``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from _local import ANTHROPIC_MODEL, anthropic_client

import resilience_kit as rk
from resilience_kit.testing import Fault

client = anthropic_client(Fault.stream_error(after=0, type="overloaded_error"))


@rk.retry("anthropic", initial_wait=0.2)
def stream(question: str) -> Iterator[str]:
    with client.messages.stream(
        model=ANTHROPIC_MODEL, max_tokens=200, messages=[{"role": "user", "content": question}]
    ) as events:
        yield from events.text_stream


if __name__ == "__main__":
    # The kit is quiet until the application sets up logging; show its events.
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("resilience_kit").setLevel(logging.INFO)
    print("streamed:", "".join(stream("Write one sentence about resilience.")))
