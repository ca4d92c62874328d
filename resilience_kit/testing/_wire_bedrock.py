"""Bedrock Runtime's wire format: Converse, InvokeModel and the AWS event-stream framing.

An event-stream message is ``total length | headers length | prelude CRC32 | headers | payload |
message CRC32`` (big-endian); headers are ``name length (1) | name | type (1, 7 = string) |
value length (2) | value``. botocore's own parser (``botocore.eventstream``) reads what this
writes, CRCs included.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from typing import Any

from resilience_kit.testing import _sse

__all__ = [
    "converse_events",
    "converse_response",
    "event_message",
    "exception_message",
    "invoke_events",
    "invoke_response",
]

_STRING = 7


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack("!B", len(raw_name))
        + raw_name
        + struct.pack("!BH", _STRING, len(raw_value))
        + raw_value
    )


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message with both CRCs."""
    raw_headers = b"".join(_header(name, value) for name, value in headers.items())
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(raw_headers))
    head = prelude + struct.pack("!I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = head + raw_headers + payload
    return message + struct.pack("!I", binascii.crc32(message) & 0xFFFFFFFF)


def event_message(event_type: str, data: dict[str, Any]) -> bytes:
    """An ``event`` message (``messageStart``, ``contentBlockDelta``, ``chunk``, ...)."""
    return encode_message(
        {
            ":event-type": event_type,
            ":content-type": "application/json",
            ":message-type": "event",
        },
        json.dumps(data, separators=(",", ":")).encode(),
    )


def exception_message(exception_type: str, message: str) -> bytes:
    """An ``exception`` message (``throttlingException``, ``modelStreamErrorException``, ...)."""
    return encode_message(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        json.dumps({"message": message}).encode(),
    )


def _usage(prompt_tokens: int, text: str) -> dict[str, int]:
    output = max(1, len(text.split()))
    return {
        "inputTokens": prompt_tokens,
        "outputTokens": output,
        "totalTokens": prompt_tokens + output,
    }


def converse_response(text: str, prompt_tokens: int) -> dict[str, Any]:
    """The JSON answer of ``Converse``."""
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": _usage(prompt_tokens, text),
        "metrics": {"latencyMs": 1},
    }


def converse_events(
    pieces: list[str], prompt_tokens: int
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """(preamble, one ``contentBlockDelta`` per piece, closing events) of ``ConverseStream``."""
    head = [event_message("messageStart", {"role": "assistant"})]
    body = [
        event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
        for piece in pieces
    ]
    tail = [
        event_message("contentBlockStop", {"contentBlockIndex": 0}),
        event_message("messageStop", {"stopReason": "end_turn"}),
        event_message(
            "metadata",
            {"usage": _usage(prompt_tokens, "".join(pieces)), "metrics": {"latencyMs": 1}},
        ),
    ]
    return head, body, tail


def invoke_response(request_id: str, model: str, text: str, prompt_tokens: int) -> dict[str, Any]:
    """The model-native body of ``InvokeModel``: Anthropic Messages for ``anthropic.*`` models,
    Amazon Titan text otherwise."""
    if "anthropic." in model:
        return _sse.anthropic_message(request_id, model, text, prompt_tokens)
    return {
        "inputTextTokenCount": prompt_tokens,
        "results": [
            {
                "tokenCount": max(1, len(text.split())),
                "outputText": text,
                "completionReason": "FINISH",
            }
        ],
    }


def _chunk(data: dict[str, Any]) -> bytes:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return event_message("chunk", {"bytes": base64.b64encode(raw).decode()})


def invoke_events(
    request_id: str, model: str, pieces: list[str], prompt_tokens: int
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """``InvokeModelWithResponseStream``: ``chunk`` events whose bytes are the model's own
    stream events (Anthropic's ``content_block_delta`` shape)."""
    start = invoke_response(request_id, model, "", prompt_tokens)
    head = [_chunk({"type": "message_start", "message": start})]
    body = [
        _chunk(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
        )
        for p in pieces
    ]
    tail = [_chunk({"type": "message_stop"})]
    return head, body, tail
