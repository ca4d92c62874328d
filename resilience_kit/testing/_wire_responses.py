"""OpenAI Responses API bodies and stream events, and where a fake stream is cut.

A response's events are numbered from 0 (``sequence_number``); ``responses.retrieve(id,
stream=True, starting_after=N)`` replays those after *N*. A `CutPlan` (seeded) picks, per stream,
the event positions at which the fake server cuts the connection: each position is cut once, so a
resumed or prefilled follow-up runs past it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from resilience_kit._checks import check_int
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.testing._sse import sse

__all__ = ["CutPlan", "StoredResponse", "response_events", "response_object", "stream_key"]


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


def response_object(
    response_id: str,
    model: str,
    text: str,
    *,
    status: str,
    background: bool,
    input_tokens: int,
) -> dict[str, Any]:
    """A ``response`` object; its output holds *text* once the status is ``completed``."""
    done = status == "completed"
    output: list[dict[str, Any]] = []
    if done:
        output.append(_message(response_id, text, "completed"))
    usage = None
    if done:
        usage = {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": _tokens(text),
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + _tokens(text),
        }
    return {
        "id": response_id,
        "object": "response",
        "created_at": 0,
        "status": status,
        "background": background,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "usage": usage,
    }


def _message(response_id: str, text: str, status: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return {
        "id": f"msg_{response_id}",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content if status == "completed" else [],
    }


def response_events(
    response_id: str,
    model: str,
    pieces: list[str],
    *,
    background: bool,
    input_tokens: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(preamble, one ``response.output_text.delta`` per piece, closing events), numbered."""
    text = "".join(pieces)
    item_id = f"msg_{response_id}"

    def state(status: str) -> dict[str, Any]:
        return response_object(
            response_id,
            model,
            text,
            status=status,
            background=background,
            input_tokens=input_tokens,
        )

    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    head: list[dict[str, Any]] = [
        {"type": "response.created", "response": state("queued" if background else "in_progress")},
        {"type": "response.in_progress", "response": state("in_progress")},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": _message(response_id, "", "in_progress"),
        },
        {"type": "response.content_part.added", **where, "part": part},
    ]
    body = [
        {"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
        for piece in pieces
    ]
    tail: list[dict[str, Any]] = [
        {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": {**part, "text": text}},
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": _message(response_id, text, "completed"),
        },
        {"type": "response.completed", "response": state("completed")},
    ]
    for number, event in enumerate(head + body + tail):
        event["sequence_number"] = number
    return head, body, tail


def frames(events: list[dict[str, Any]]) -> list[bytes]:
    """Each event as an SSE frame named by its type (as the Responses API sends them)."""
    return [sse(event, event["type"]) for event in events]


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """A response the fake server created: what a retrieve replays."""

    response_id: str
    model: str
    background: bool
    input_tokens: int
    key: str
    reply: str = ""


def stream_key(*parts: Any) -> str:
    """A stable key naming one stream by what was asked (model, input; never a prefill)."""
    return json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class CutPlan:
    """Cut each stream at ``cuts`` (a ``(low, high)`` count) random event positions, chosen by
    *seed* and the stream's key: the same streams are cut at the same places in every run."""

    seed: int
    cuts: tuple[int, int] = (1, 3)

    @classmethod
    def build(cls, seed: object, cuts: object) -> CutPlan:
        number = check_int("seed", seed, 0)
        problem = ConfigurationError(
            "cuts", f"must be (low, high) with 1 <= low <= high <= 1000, got {cuts!r}"
        )
        if not isinstance(cuts, tuple) or len(cuts) != 2:
            raise problem
        low, high = cuts
        if isinstance(low, bool) or isinstance(high, bool):
            raise problem
        if not isinstance(low, int) or not isinstance(high, int) or not 1 <= low <= high <= 1000:
            raise problem
        return cls(number, (low, high))

    def positions(self, key: str, total: int) -> list[int]:
        """The event positions (1 .. total-1) before which the stream *key* is cut."""
        if total < 2:
            return []
        rng = random.Random(f"{self.seed}:{key}")
        count = min(rng.randint(*self.cuts), total - 1)
        return sorted(rng.sample(range(1, total), count))
