"""Gemini's wire format: ``:generateContent`` answers and ``:streamGenerateContent?alt=sse``."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["gemini_chunks", "gemini_response", "gemini_sse"]


def gemini_sse(data: Any) -> bytes:
    """One SSE frame as Gemini sends it (``data:`` line, blank line)."""
    return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\r\n\r\n"


def _usage(prompt_tokens: int, text: str) -> dict[str, int]:
    completion = max(1, len(text.split()))
    return {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": completion,
        "totalTokenCount": prompt_tokens + completion,
    }


def gemini_response(
    request_id: str, model: str, text: str, prompt_tokens: int, *, finish: str | None = "STOP"
) -> dict[str, Any]:
    """A ``GenerateContentResponse`` with one candidate holding *text*."""
    candidate: dict[str, Any] = {
        "content": {"parts": [{"text": text}], "role": "model"},
        "index": 0,
    }
    if finish is not None:
        candidate["finishReason"] = finish
    return {
        "candidates": [candidate],
        "usageMetadata": _usage(prompt_tokens, text),
        "modelVersion": model,
        "responseId": request_id,
    }


def gemini_chunks(
    request_id: str, model: str, pieces: list[str], prompt_tokens: int
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """(preamble, one chunk per content piece, closing chunk) of a streamed answer."""
    body = [
        gemini_sse(gemini_response(request_id, model, piece, prompt_tokens, finish=None))
        for piece in pieces
    ]
    closing = gemini_response(request_id, model, "", prompt_tokens)
    closing["usageMetadata"] = _usage(prompt_tokens, "".join(pieces))
    return [], body, [gemini_sse(closing)]
