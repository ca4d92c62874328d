"""Gemini: per-minute rate limits are retried after the server's RetryInfo; per-day quotas stop.

    python examples/gemini_quota.py

Offline, the fake server first answers 429 RESOURCE_EXHAUSTED for a per-minute quota with a
``google.rpc.RetryInfo`` of 0.2 s (the kit waits exactly that), then a streamed answer, then a
per-day quota 429, which no amount of waiting fixes: the kit raises it at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from _local import GEMINI_MODEL, gemini_client
from google.genai import errors

import resilience_kit as rk
from resilience_kit.testing import Fault


def quota_failure(quota_id: str) -> dict[str, object]:
    return {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaId": quota_id, "quotaValue": "250"}],
    }


RETRY_INFO = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.2s"}
client = gemini_client(
    Fault.status(429, details=[quota_failure("GenerateRequestsPerMinutePerProject"), RETRY_INFO]),
    Fault.ok(),  # the retry
    Fault.ok(),  # the stream
    Fault.status(429, details=[quota_failure("GenerateRequestsPerDayPerProject"), RETRY_INFO]),
)


@rk.retry("gemini")  # the SDK's own retries are off: HttpRetryOptions(attempts=1)
def ask(question: str) -> str:
    return client.models.generate_content(model=GEMINI_MODEL, contents=question).text or ""


@rk.retry("gemini")  # retried only until the first chunk arrives
def stream(question: str) -> Iterator[str]:
    for chunk in client.models.generate_content_stream(model=GEMINI_MODEL, contents=question):
        yield chunk.text or ""


if __name__ == "__main__":
    # The kit is quiet until the application sets up logging; show its events.
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("resilience_kit").setLevel(logging.INFO)
    print("answer:", ask("Say hello in five words."))
    print("streamed:", "".join(stream("Say hello again.")))
    try:
        ask("One more?")
    except errors.ClientError as exc:
        found = rk.classify(exc)
        print(f"stopped: category={found.category} retryable={found.retryable}")
