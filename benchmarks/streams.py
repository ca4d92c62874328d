"""Streams that survive cuts: exactness and cost, side by side in one run.

1. Per-item cost of relaying a stream: a bare generator, ``@retry`` and
   ``@retry(continuation=...)``, interleaved over several repeats (median per item).
2. The real ``openai`` and ``anthropic`` clients against a local FakeLLMServer, N streams in 8
   threads: uncut, then every stream cut 1-3 times (seeded) and continued. Reports how many
   callers got exactly the uncut output, duplicated characters, follow-up requests, and the
   time of the cut run as a ratio of the uncut one.

    python benchmarks/streams.py [--streams 200] [--items 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# Measure the checkout this file lives in, not whichever copy is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, no_wait

RESULTS = Path(__file__).parent / "results" / "streams.json"
REPLY = (
    "Streams that survive a cut  continue from the last delivered token,\n"
    "never repeat it, and never skip one: the caller sees a single answer. "
    "Every follow-up is an attempt for the retry and a call for the breaker."
)
MODEL = "claude-sonnet-4-5"


class _Resume(rk.Continuation):
    def follow_up(self, cut: rk.StreamCut) -> rk.FollowUp:
        return rk.FollowUp(cut.args, cut.kwargs)


def per_item(items: int, repeat: int) -> dict[str, float]:
    """Median seconds per relayed item of each variant."""

    def source() -> Iterator[int]:
        yield from range(items)

    variants: dict[str, Callable[[], Iterator[int]]] = {
        "bare generator": source,
        "@retry": rk.retry(source),
        "@retry(continuation=)": rk.retry(continuation=_Resume())(source),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, make in variants.items():
            start = time.perf_counter()
            for _item in make():
                pass
            times[name].append((time.perf_counter() - start) / items)
    return {name: statistics.median(values) for name, values in times.items()}


def _run(work: Callable[[int], Any], count: int) -> tuple[list[Any], float]:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(count)))
    return results, time.perf_counter() - start


def responses(server: FakeLLMServer, count: int) -> dict[str, Any]:
    client = server.openai_client()

    @rk.retry("openai", continuation=rk.OpenAIBackground(), max_attempts=10, deadline=None)
    def ask(
        prompt: str, *, response_id: str | None = None, starting_after: int | None = None
    ) -> Iterator[Any]:
        if response_id is None or starting_after is None:
            stream = client.responses.create(
                model="gpt-4.1", input=prompt, stream=True, background=True
            )
        else:
            stream = client.responses.retrieve(
                response_id, stream=True, starting_after=starting_after
            )
        with stream:
            yield from stream

    def shape(n: int, tag: str) -> list[tuple[Any, ...]]:
        return [(e.sequence_number, e.type, getattr(e, "delta", None)) for e in ask(f"{tag} {n}")]

    server.reset()
    uncut, plain = _run(lambda n: shape(n, "uncut"), count)
    server.reset()
    server.cut_streams(seed=27, cuts=(1, 3))
    cut, continued = _run(lambda n: shape(n, "cut"), count)
    follow_ups = sum(1 for r in server.requests if r.method == "GET")
    server.cut_streams(None)
    return {
        "exact": sum(a == b for a, b in zip(uncut, cut, strict=True)),
        "follow_ups": follow_ups,
        "uncut_s": plain,
        "cut_s": continued,
    }


def messages(server: FakeLLMServer, count: int) -> dict[str, Any]:
    client = server.anthropic_client()

    @rk.retry("anthropic", continuation=rk.AnthropicPrefill(), max_attempts=10, deadline=None)
    def ask(*, model: str, messages: list[Any]) -> Iterator[str]:
        with client.messages.stream(model=model, max_tokens=256, messages=messages) as stream:
            yield from stream.text_stream

    def text(n: int, tag: str) -> str:
        return "".join(ask(model=MODEL, messages=[{"role": "user", "content": f"{tag} {n}"}]))

    server.reset()
    _uncut, plain = _run(lambda n: text(n, "uncut"), count)
    server.reset()
    server.cut_streams(seed=27, cuts=(1, 3))
    cut, continued = _run(lambda n: text(n, "cut"), count)
    follow_ups = len(server.requests) - count
    server.cut_streams(None)
    return {
        "exact": sum(t == REPLY for t in cut),
        "duplicated_chars": sum(max(len(t) - len(REPLY), 0) for t in cut),
        "follow_ups": follow_ups,
        "uncut_s": plain,
        "cut_s": continued,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    logging.disable(logging.WARNING)  # the kit's retry_scheduled events, one per follow-up
    items = per_item(options.items, options.repeat)
    with FakeLLMServer(reply=REPLY, chunks=12) as server, no_wait():
        openai_row = responses(server, options.streams)
        anthropic_row = messages(server, options.streams)
    base = items["@retry"]
    print(f"{'relay, per item (median)':<40} {'ns':>8} {'x @retry':>9}")
    for name, seconds in items.items():
        print(f"{name:<40} {seconds * 1e9:>8.0f} {seconds / base:>9.2f}")
    print()
    n = options.streams
    print(
        f"{'N streams, each cut 1-3 times':<40} {'exact':>9} {'follow-ups':>11} "
        f"{'time x uncut':>13}"
    )
    for name, row in (
        ("openai Responses (background)", openai_row),
        ("anthropic prefill", anthropic_row),
    ):
        ratio = row["cut_s"] / row["uncut_s"]
        print(f"{name:<40} {row['exact']:>5}/{n:<3} {row['follow_ups']:>11} {ratio:>13.2f}")
    print(f"anthropic duplicated characters: {anthropic_row['duplicated_chars']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "streams": n,
                "per_item_seconds": items,
                "openai_responses": openai_row,
                "anthropic_prefill": anthropic_row,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
