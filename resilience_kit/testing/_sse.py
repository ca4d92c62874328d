"""Success bodies and server-sent events in each provider's own format."""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "anthropic_events",
    "anthropic_message",
    "openai_chunks",
    "openai_completion",
    "sse",
    "split_text",
]


def sse(data: Any, event: str | None = None) -> bytes:
    """One SSE frame (``event:`` line only when *event* is given)."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event is not None else ""
    return f"{head}data: {text}\n\n".encode()


def split_text(text: str, chunks: int) -> list[str]:
    """*text* cut into *chunks* non-empty pieces (fewer when the text is shorter)."""
    count = max(1, min(chunks, len(text)))
    size, extra = divmod(len(text), count)
    pieces: list[str] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        pieces.append(text[start:end])
        start = end
    return [piece for piece in pieces if piece] or [""]


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


def openai_completion(request_id: str, model: str, text: str, prompt_tokens: int) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    completion = _tokens(text)
    return {
        "id": f"chatcmpl-{request_id}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion,
        },
    }


def _openai_chunk(request_id: str, model: str, delta: dict[str, Any], finish: str | None) -> bytes:
    return sse(
        {
            "id": f"chatcmpl-{request_id}",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
    )


def openai_chunks(
    request_id: str, model: str, pieces: list[str], prompt_tokens: int, *, usage: bool
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """(preamble, one frame per content piece, closing frames) of a chat-completions stream."""
    head = [_openai_chunk(request_id, model, {"role": "assistant", "content": ""}, None)]
    body = [_openai_chunk(request_id, model, {"content": piece}, None) for piece in pieces]
    tail = [_openai_chunk(request_id, model, {}, "stop")]
    if usage:
        completion = _tokens("".join(pieces))
        tail.append(
            sse(
                {
                    "id": f"chatcmpl-{request_id}",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion,
                        "total_tokens": prompt_tokens + completion,
                    },
                }
            )
        )
    tail.append(sse("[DONE]"))
    return head, body, tail


def anthropic_message(request_id: str, model: str, text: str, input_tokens: int) -> dict[str, Any]:
    """A Messages API ``message`` object."""
    return {
        "id": f"msg_{request_id}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": _tokens(text)},
    }


def anthropic_events(
    request_id: str, model: str, pieces: list[str], input_tokens: int
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """(preamble, one ``content_block_delta`` per piece, closing events) of a Messages stream."""
    start = anthropic_message(request_id, model, "", input_tokens)
    start["content"] = []
    start["stop_reason"] = None
    start["usage"]["output_tokens"] = 1
    head = [
        sse({"type": "message_start", "message": start}, "message_start"),
        sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        ),
        sse({"type": "ping"}, "ping"),
    ]
    body = [
        sse(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}},
            "content_block_delta",
        )
        for p in pieces
    ]
    tail = [
        sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": _tokens("".join(pieces))},
            },
            "message_delta",
        ),
        sse({"type": "message_stop"}, "message_stop"),
    ]
    return head, body, tail
