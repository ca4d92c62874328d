"""Bedrock: throttling is backed off and retried; a service quota stop is not.

    python examples/bedrock_converse.py

Offline, the fake server throttles the first ``Converse`` (Bedrock sends no wait hint, so the
``bedrock`` preset backs off from 1 s), sends a ``throttlingException`` event inside the first
``ConverseStream`` before any text (retried: nothing was yielded yet), then answers
``ServiceQuotaExceededException``, which the kit does not retry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from _local import BEDROCK_MODEL, bedrock_client
from botocore.exceptions import ClientError

import resilience_kit as rk
from resilience_kit.testing import Fault

client = bedrock_client(
    Fault.status(429),  # ThrottlingException
    Fault.ok(),  # its retry
    Fault.stream_error(after=0, type="throttlingException"),
    Fault.ok(),  # its retry
    Fault.status(400, type="ServiceQuotaExceededException"),
)


def messages(text: str) -> Any:
    return [{"role": "user", "content": [{"text": text}]}]


@rk.retry("bedrock")  # botocore's own retries are off: total_max_attempts=1
def ask(question: str) -> str:
    reply = client.converse(modelId=BEDROCK_MODEL, messages=messages(question))
    return str(reply["output"]["message"]["content"][0]["text"])


@rk.retry("bedrock")
def stream(question: str) -> Iterator[str]:
    events = client.converse_stream(modelId=BEDROCK_MODEL, messages=messages(question))["stream"]
    try:
        for event in events:
            if "contentBlockDelta" in event:
                yield event["contentBlockDelta"]["delta"].get("text", "")
    finally:
        events.close()


if __name__ == "__main__":
    # The kit is quiet until the application sets up logging; show its events.
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("resilience_kit").setLevel(logging.INFO)
    print("answer:", ask("Say hello in five words."))
    print("streamed:", "".join(stream("Say hello again.")))
    try:
        ask("One more?")
    except ClientError as exc:
        found = rk.classify(exc)
        print(f"stopped: {found.error_code} category={found.category} retryable={found.retryable}")
