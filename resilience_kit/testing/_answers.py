"""What ``FakeLLMServer`` answers on each route: the plain body, or a stream's frames.

A streamed answer is a `StreamPlan`: preamble, content frames (where ``Fault.stream_cut(after=n)``
and friends apply), closing frames, and for each frame its position in the *uncut* stream (a
Responses event's sequence number; for an Anthropic answer continuing a prefill, the position the
same text has in the answer without a prefill), so a seeded `CutPlan` cuts each place once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resilience_kit.testing import _sse, _wire_bedrock, _wire_gemini, _wire_responses
from resilience_kit.testing._faults import Fault, Provider
from resilience_kit.testing._wire_responses import StoredResponse, stream_key

__all__ = ["StreamPlan", "continued_text", "plain_answer", "prefill_of", "refusal", "stream_plan"]

# claude-{family}-{major}[-{minor}]: Claude 4.6 and later refuse an assistant prefill.
_VERSION = re.compile(r"claude-(?:opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?:$|[-@])")


def refuses_prefill(model: str) -> bool:
    """Whether *model* (by name) answers a prefill with a 400, as Claude 4.6 and later do."""
    match = _VERSION.search(model)
    if match is None:
        return False
    return (int(match.group(1)), int(match.group(2) or 0)) >= (4, 6)


@dataclass(frozen=True, slots=True)
class StreamPlan:
    """The frames of one streamed answer and where each sits in the uncut stream."""

    head: list[bytes]
    frames: list[bytes]
    tail: list[bytes]
    positions: list[int]
    key: str
    content_type: str = "text/event-stream; charset=utf-8"


def prompt_tokens(body: Mapping[str, Any]) -> int:
    messages = body.get("messages") or body.get("contents") or body.get("input")
    return max(1, len(json.dumps(messages)) // 4) if messages else 1


def prefill_of(body: Mapping[str, Any]) -> str | None:
    """The text of an Anthropic request's trailing assistant message, if it has one."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "assistant":
        return None
    content = last.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(block.get("text", ""))
            for block in content
            if isinstance(block, dict) and block.get("type") == "text"
        )
    return ""


def refusal(
    provider: Provider | None,
    operation: str | None,
    body: Mapping[str, Any],
    stored: StoredResponse | None,
    response_id: str | None,
) -> Fault | None:
    """The 400/404 the real API answers to this request before generating anything, if any."""
    if operation == "retrieve":
        if stored is None:
            return Fault.status(404, message=f"No response found with id '{response_id}'.")
        return None
    if provider != "anthropic":
        return None
    prefill = prefill_of(body)
    if prefill is None:
        return None
    model = str(body.get("model") or "")
    if refuses_prefill(model):
        return Fault.status(
            400,
            message="This model does not support assistant message prefill. "
            "The conversation must end with a user message.",
        )
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        return Fault.status(
            400, message="Expected `thinking` or `redacted_thinking`, but found `text`."
        )
    if prefill != prefill.rstrip():
        return Fault.status(
            400, message="messages: final assistant content cannot end with trailing whitespace"
        )
    return None


def continued_text(reply: str, prefill: str | None) -> tuple[str, int]:
    """(the text an answer continuing *prefill* generates, where it starts in *reply*)."""
    if prefill and reply.startswith(prefill):
        return reply[len(prefill) :], len(prefill)
    return reply, 0


def _pieces_from(reply: str, chunks: int, start: int) -> tuple[list[str], list[int]]:
    """The pieces of *reply* from character *start* on, cut where the whole reply's pieces are
    cut, with the index each piece has among the whole reply's pieces."""
    pieces: list[str] = []
    indices: list[int] = []
    offset = 0
    for index, piece in enumerate(_sse.split_text(reply, chunks)):
        end = offset + len(piece)
        if end > start:
            pieces.append(piece[max(start - offset, 0) :])
            indices.append(index)
        offset = end
    return pieces, indices


def stream_plan(
    provider: Provider,
    operation: str | None,
    body: Mapping[str, Any],
    request_id: str,
    model: str,
    reply: str,
    chunks: int,
    stored: StoredResponse | None,
    starting_after: int,
) -> StreamPlan:
    """The frames of a streamed answer on this route."""
    tokens = prompt_tokens(body)
    if operation in ("responses", "retrieve"):
        assert stored is not None
        head, frames, tail = _wire_responses.response_events(
            stored.response_id,
            stored.model,
            _sse.split_text(reply, chunks),
            background=stored.background,
            input_tokens=stored.input_tokens,
        )

        def after(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [e for e in events if e["sequence_number"] > starting_after]

        head, frames, tail = after(head), after(frames), after(tail)
        positions = [e["sequence_number"] for e in head + frames + tail]
        return StreamPlan(
            _wire_responses.frames(head),
            _wire_responses.frames(frames),
            _wire_responses.frames(tail),
            positions,
            stored.key,
        )
    messages = body.get("messages") or body.get("contents") or []
    if provider == "anthropic":
        prefill = prefill_of(body)
        if prefill is not None:
            messages = messages[:-1]
        _text, start = continued_text(reply, prefill)
        pieces, indices = _pieces_from(reply, chunks, start)
        total = len(_sse.split_text(reply, chunks))
        head_b, frames_b, tail_b = _sse.anthropic_events(request_id, model, pieces, tokens)
        positions = [0, 1, 2] + [3 + i for i in indices] + [3 + total + j for j in range(3)]
        key = stream_key(provider, model, messages, body.get("system"))
        return StreamPlan(head_b, frames_b, tail_b, positions, key)
    pieces = _sse.split_text(reply, chunks)
    content_type = "text/event-stream; charset=utf-8"
    if provider == "openai":
        options = body.get("stream_options")
        usage = isinstance(options, dict) and options.get("include_usage") is True
        head_b, frames_b, tail_b = _sse.openai_chunks(
            request_id, model, pieces, tokens, usage=usage
        )
    elif provider == "gemini":
        head_b, frames_b, tail_b = _wire_gemini.gemini_chunks(request_id, model, pieces, tokens)
    else:
        content_type = "application/vnd.amazon.eventstream"
        if operation == "converse-stream":
            head_b, frames_b, tail_b = _wire_bedrock.converse_events(pieces, tokens)
        else:
            head_b, frames_b, tail_b = _wire_bedrock.invoke_events(
                request_id, model, pieces, tokens
            )
    count = len(head_b) + len(frames_b) + len(tail_b)
    key = stream_key(provider, operation, model, messages)
    return StreamPlan(head_b, frames_b, tail_b, list(range(count)), key, content_type)


def plain_answer(
    provider: Provider,
    operation: str | None,
    body: Mapping[str, Any],
    request_id: str,
    model: str,
    reply: str,
    stored: StoredResponse | None,
) -> dict[str, Any]:
    """The JSON body of a non-streamed answer on this route."""
    tokens = prompt_tokens(body)
    if operation in ("responses", "retrieve"):
        assert stored is not None
        return _wire_responses.response_object(
            stored.response_id,
            stored.model,
            reply,
            status="completed",
            background=stored.background,
            input_tokens=stored.input_tokens,
        )
    if provider == "openai":
        return _sse.openai_completion(request_id, model, reply, tokens)
    if provider == "gemini":
        return _wire_gemini.gemini_response(request_id, model, reply, tokens)
    if provider == "bedrock" and operation == "converse":
        return _wire_bedrock.converse_response(reply, tokens)
    if provider == "bedrock":
        return _wire_bedrock.invoke_response(request_id, model, reply, tokens)
    text, _start = continued_text(reply, prefill_of(body))
    return _sse.anthropic_message(request_id, model, text, tokens)
