"""classify() on what the real clients raise, end to end, over an in-process transport (no socket).

The SDKs parse each scripted response (JSON errors, SSE streams, cut bodies) with their own code,
so these are the exceptions users see, including the three mid-stream shapes DESIGN.md lists.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from resilience_kit import ErrorCategory, classify

C = ErrorCategory
Handler = Callable[[httpx2.Request], httpx2.Response]
MESSAGES: Any = [{"role": "user", "content": "hi"}]


class _CutStream(httpx2.SyncByteStream):
    """A body that stops mid-way, as when the server drops the connection."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        raise httpx2.RemoteProtocolError(
            "peer closed connection without sending complete message body (incomplete chunked read)"
        )


def _sse(event: str | None, data: object) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


OPENAI_CHUNK = _sse(
    None,
    {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    },
)
ANTHROPIC_START = _sse(
    "message_start",
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "claude",
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        },
    },
)
SSE = {"content-type": "text/event-stream"}


def _openai(handler: Handler) -> openai.OpenAI:
    transport = httpx2.MockTransport(handler)
    return openai.OpenAI(
        api_key="sk-test", max_retries=0, http_client=httpx2.Client(transport=transport)
    )


def _anthropic(handler: Handler) -> anthropic.Anthropic:
    transport = httpx2.MockTransport(handler)
    return anthropic.Anthropic(
        api_key="sk-ant-test", max_retries=0, http_client=httpx2.Client(transport=transport)
    )


def _openai_failure(handler: Handler, *, stream: bool) -> BaseException:
    client = _openai(handler)

    def call() -> None:
        if stream:
            for _ in client.chat.completions.create(model="m", messages=MESSAGES, stream=True):
                pass
        else:
            client.chat.completions.create(model="m", messages=MESSAGES)

    with pytest.raises(Exception) as info:  # noqa: PT011 - the test is what it raises
        call()
    return info.value


def _anthropic_failure(handler: Handler, *, stream: bool) -> BaseException:
    client = _anthropic(handler)

    def call() -> None:
        if stream:
            with client.messages.stream(model="claude", max_tokens=5, messages=MESSAGES) as events:
                for _ in events:
                    pass
        else:
            client.messages.create(model="claude", max_tokens=5, messages=MESSAGES)

    with pytest.raises(Exception) as info:  # noqa: PT011 - the test is what it raises
        call()
    return info.value


def test_openai_quota_429() -> None:
    """A real 429 ``insufficient_quota`` is a QUOTA stop with its request id and hint."""
    body = {
        "error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}
    }
    headers = {"x-request-id": "req_q", "retry-after-ms": "250"}
    exc = _openai_failure(lambda r: httpx2.Response(429, headers=headers, json=body), stream=False)
    result = classify(exc)
    assert (C.QUOTA, False, 429) == (result.category, result.retryable, result.status_code)
    assert ("req_q", 0.25) == (result.request_id, result.retry_after)


def test_openai_error_event_mid_stream() -> None:
    """A chat stream's ``data: {"error": ...}`` after a chunk: bare APIError, in_stream, by body."""
    error = {"error": {"message": "The server had an error", "type": "server_error", "code": None}}
    content = OPENAI_CHUNK + _sse(None, error)
    exc = _openai_failure(lambda r: httpx2.Response(200, headers=SSE, content=content), stream=True)
    assert openai.APIError is type(exc)
    result = classify(exc)
    assert (C.SERVER, True, True) == (result.category, result.retryable, result.in_stream)
    assert "server_error" == result.error_code


def test_openai_dropped_stream() -> None:
    """A stream cut mid-body is an ``APIConnectionError`` caused by RemoteProtocolError."""
    exc = _openai_failure(
        lambda r: httpx2.Response(200, headers=SSE, stream=_CutStream([OPENAI_CHUNK])), stream=True
    )
    assert isinstance(exc.__cause__, httpx2.RemoteProtocolError)
    assert C.CONNECTION == classify(exc).category


def test_openai_read_timeout() -> None:
    """A read timeout is ``APITimeoutError``: TIMEOUT."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    exc = _openai_failure(handler, stream=False)
    assert openai.APITimeoutError is type(exc)
    assert C.TIMEOUT == classify(exc).category


def test_anthropic_529_with_hint() -> None:
    """A real 529 is ``OverloadedError``: OVERLOADED with its retry-after and request id."""
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    headers = {"request-id": "req_o", "retry-after": "3"}
    exc = _anthropic_failure(
        lambda r: httpx2.Response(529, headers=headers, json=body), stream=False
    )
    assert anthropic.OverloadedError is type(exc)
    result = classify(exc)
    assert (C.OVERLOADED, 3.0, "req_o") == (result.category, result.retry_after, result.request_id)


def test_anthropic_error_event_mid_stream() -> None:
    """``event: error`` after a 200: a bare APIStatusError with status 200, decided by its type."""
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    content = ANTHROPIC_START + _sse("error", error)
    headers = {**SSE, "request-id": "req_m"}
    exc = _anthropic_failure(
        lambda r: httpx2.Response(200, headers=headers, content=content), stream=True
    )
    assert anthropic.APIStatusError is type(exc)
    result = classify(exc)
    assert (C.OVERLOADED, True, 200) == (result.category, result.in_stream, result.status_code)
    assert "req_m" == result.request_id


def test_anthropic_dropped_stream() -> None:
    """A cut Anthropic stream is CONNECTION, whichever shape the installed SDK raises.

    anthropic up to 2.15 leaks the raw ``httpx2.RemoteProtocolError`` (provider ``httpx2``); 2.17
    wraps it in ``APIConnectionError`` with the raw error as its cause (provider ``anthropic``).
    """
    exc = _anthropic_failure(
        lambda r: httpx2.Response(200, headers=SSE, stream=_CutStream([ANTHROPIC_START])),
        stream=True,
    )
    if isinstance(exc, anthropic.APIConnectionError):
        assert isinstance(exc.__cause__, httpx2.RemoteProtocolError)
        provider = "anthropic"
    else:
        assert httpx2.RemoteProtocolError is type(exc)
        provider = "httpx2"
    result = classify(exc)
    assert (C.CONNECTION, True, provider) == (result.category, result.retryable, result.provider)


def test_anthropic_spend_limit() -> None:
    """A real spend-limit 429 dispatches to its subclass and is QUOTA."""
    body = {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "spend limit",
            "details": {"error_code": "enforced_spend_limit_reached"},
        },
    }
    exc = _anthropic_failure(lambda r: httpx2.Response(429, json=body), stream=False)
    assert "EnforcedSpendLimitReachedError" == type(exc).__name__
    assert (C.QUOTA, False) == (classify(exc).category, classify(exc).retryable)
