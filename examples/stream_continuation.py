"""Streams that survive cuts: continued from the last delivered item, never repeated.

    python examples/stream_continuation.py

``retry(continuation=...)`` turns a stream that fails after output into a follow-up call: an
OpenAI Responses background stream resumes ``starting_after`` the last sequence number (exact),
and an Anthropic stream continues from the delivered text as an assistant prefill. Offline, the
fake server cuts each stream three times.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from _local import ANTHROPIC_MODEL, OPENAI_MODEL, anthropic_client, openai_client

import resilience_kit as rk
from resilience_kit.testing import Fault

THREE_CUTS = (Fault.stream_cut(after=2), Fault.stream_cut(after=1), Fault.stream_cut(after=1))
openai = openai_client(*THREE_CUTS)
anthropic = anthropic_client(*THREE_CUTS)
cuts: list[str] = []


def count(record: rk.AttemptRecord) -> None:
    cuts.append(record.detail)


@rk.retry("openai", continuation=rk.OpenAIBackground(), on_retry=count, initial_wait=0.1)
def events(
    question: str, *, response_id: str | None = None, starting_after: int | None = None
) -> Iterator[Any]:
    if response_id is None:
        stream = openai.responses.create(
            model=OPENAI_MODEL, input=question, stream=True, background=True
        )
    else:
        stream = openai.responses.retrieve(response_id, stream=True, starting_after=starting_after)
    with stream:
        yield from stream


@rk.retry("anthropic", continuation=rk.AnthropicPrefill(), on_retry=count, initial_wait=0.1)
def text(*, model: str, messages: list[dict[str, Any]]) -> Iterator[str]:
    with anthropic.messages.stream(model=model, max_tokens=200, messages=messages) as stream:
        yield from stream.text_stream


if __name__ == "__main__":
    # The kit is quiet until the application sets up logging; show its events.
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("resilience_kit").setLevel(logging.INFO)
    question = "Write one sentence about resilience."
    got = list(events(question))
    numbers = [event.sequence_number for event in got]
    print(
        "responses:",
        "".join(e.delta for e in got if e.type == "response.output_text.delta"),
        f"[{len(cuts)} cuts; events {numbers[0]}..{numbers[-1]}, each once: "
        f"{numbers == list(range(len(numbers)))}]",
    )
    cuts.clear()
    answer = "".join(text(model=ANTHROPIC_MODEL, messages=[{"role": "user", "content": question}]))
    print("anthropic:", answer, f"[{len(cuts)} cuts]")
