"""A small scripted LLM server on 127.0.0.1 for the retry integration tests.

Stand-in until ``resilience_kit.testing.FakeLLMServer`` exists: it answers OpenAI
``/v1/chat/completions`` and Anthropic ``/v1/messages`` (plain and SSE streaming) from a script of
replies and counts hits. Replies: :class:`Reply` (status, headers, body), :data:`DROP` (close the
connection without answering) or :class:`Stream` (chunks, then an error event or a cut).
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # None: a provider-shaped success


@dataclass(frozen=True)
class Stream:
    chunks: tuple[str, ...] = ("Hel", "lo", " wor", "ld")
    error_after: int | None = None  # send an error event after this many chunks
    cut_after: int | None = None  # close the connection after this many chunks


DROP = "drop"


def openai_error(status: int, code: str, **headers: str) -> Reply:
    body = {"error": {"message": code, "type": code, "code": code, "param": None}}
    return Reply(status, dict(headers), body)


def anthropic_error(
    status: int, kind: str, *, error_code: str | None = None, **headers: str
) -> Reply:
    error: dict[str, Any] = {"type": kind, "message": kind}
    if error_code is not None:
        error["details"] = {"error_code": error_code}
    return Reply(status, dict(headers), {"type": "error", "error": error})


def _openai_ok() -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}
        ],
    }


def _anthropic_ok() -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [{"type": "text", "text": "hi"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }


class LoopbackLLM:
    """Serve scripted replies; the last reply repeats once the script runs out."""

    def __init__(self) -> None:
        self.script: list[Reply | Stream | str] = [Reply()]
        self.hits = 0
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def play(self, *replies: Reply | Stream | str) -> None:
        with self._lock:
            self.script = list(replies)
            self.hits = 0

    def _next(self, path: str) -> Reply | Stream | str:
        with self._lock:
            self.hits += 1
            self.paths.append(path)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                request = json.loads(self.rfile.read(length) or b"{}")
                reply = owner._next(self.path)
                anthropic = self.path.endswith("/messages")
                if reply == DROP:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if isinstance(reply, Stream) or (
                    isinstance(reply, Reply) and reply.status == 200 and request.get("stream")
                ):
                    stream = reply if isinstance(reply, Stream) else Stream()
                    self._stream(stream, anthropic=anthropic)
                    return
                assert isinstance(reply, Reply)
                body = reply.body
                if body is None:
                    body = _anthropic_ok() if anthropic else _openai_ok()
                data = json.dumps(body).encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("x-request-id", f"req_{owner.hits}")
                self.send_header("request-id", f"req_{owner.hits}")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _chunk(self, text: str) -> None:
                data = text.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _stream(self, stream: Stream, *, anthropic: bool) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                if anthropic:
                    start = {"type": "message_start", "message": {**_anthropic_ok(), "content": []}}
                    self._chunk(f"event: message_start\ndata: {json.dumps(start)}\n\n")
                    block = {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    }
                    self._chunk(f"event: content_block_start\ndata: {json.dumps(block)}\n\n")
                for index, text in enumerate(stream.chunks):
                    if stream.error_after == index:
                        self._error_event(anthropic=anthropic)
                        return
                    if stream.cut_after == index:
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self._chunk(_delta(text, anthropic=anthropic))
                if stream.error_after == len(stream.chunks):
                    self._error_event(anthropic=anthropic)
                    return
                if anthropic:
                    self._chunk('event: message_stop\ndata: {"type": "message_stop"}\n\n')
                else:
                    self._chunk("data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")

            def _error_event(self, *, anthropic: bool) -> None:
                if anthropic:
                    error = {
                        "type": "error",
                        "error": {"type": "overloaded_error", "message": "Overloaded"},
                    }
                    self._chunk(f"event: error\ndata: {json.dumps(error)}\n\n")
                else:
                    error = {"error": {"message": "server error", "type": "server_error"}}
                    self._chunk(f"data: {json.dumps(error)}\n\n")
                self.wfile.write(b"0\r\n\r\n")

        return Handler


def _delta(text: str, *, anthropic: bool) -> str:
    if anthropic:
        event = {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": text},
        }
        return f"event: content_block_delta\ndata: {json.dumps(event)}\n\n"
    chunk = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }
    return f"data: {json.dumps(chunk)}\n\n"
