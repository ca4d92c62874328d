"""The HTTP handler behind ``FakeLLMServer``: one decision per request, then the answer."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from resilience_kit.testing import _sse
from resilience_kit.testing._faults import Fault, Provider, error_body, error_payload

if TYPE_CHECKING:
    from resilience_kit.testing._server import FakeLLMServer

__all__ = ["QuietHTTPServer", "make_handler", "prompt_tokens", "provider_of"]

_ROUTES: dict[str, Provider] = {
    "/v1/chat/completions": "openai",
    "/v1/messages": "anthropic",
}


def provider_of(path: str) -> Provider | None:
    """The provider whose API *path* belongs to, or None for an unknown path."""
    return _ROUTES.get(path.partition("?")[0].rstrip("/"))


class QuietHTTPServer(ThreadingHTTPServer):
    """Threads per connection, a deep backlog, and no tracebacks for clients that hang up."""

    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when 50 clients connect at once.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client reset or timed out mid-request: normal in fault tests
        super().handle_error(request, client_address)


class _DisconnectError(Exception):
    """The connection must be closed without (or without finishing) an answer."""


def make_handler(owner: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to *owner* (its script, records and reply settings)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs; every answer is framed
        disable_nagle_algorithm = True
        server_version = "FakeLLMServer"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests read server.requests instead

        def setup(self) -> None:
            self._extra: dict[str, str] = {}  # rate-limit headers of the current answer
            super().setup()
            owner._track(self.connection)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                owner._untrack(self.connection)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def _answer(self) -> None:
            try:
                self._serve()
            except (_DisconnectError, OSError):
                self.close_connection = True
                self._hang_up()

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            try:
                payload = json.loads(raw) if raw else {}
            except ValueError:
                payload = None
            provider = provider_of(self.path) if self.command == "POST" else None
            body: dict[str, Any] = payload if isinstance(payload, dict) else {}
            stream = body.get("stream") is True
            fault, record, extra = owner._decide(
                method=self.command,
                path=self.path,
                provider=provider,
                headers=dict(self.headers.items()),
                body=body,
                stream=stream,
                client_port=int(self.client_address[1]),
            )
            request_id = record.request_id
            self._extra = extra
            if provider is None:
                self._error(
                    Fault.status(404, message=f"Unknown path {self.path}"), "openai", request_id
                )
                return
            if not isinstance(payload, dict):
                self._error(
                    Fault.status(400, message="Body is not a JSON object"), provider, request_id
                )
                return
            if fault.kind in ("status", "drop") or (fault.kind == "delay" and fault.after < 0):
                owner._wait(fault.seconds)
            if fault.kind == "status":
                self._error(fault, provider, request_id)
            elif fault.kind == "drop" or (fault.kind == "stream_cut" and not stream):
                raise _DisconnectError
            elif fault.kind == "stream_error" and not stream:
                status = 529 if provider == "anthropic" else 500
                error = Fault.status(
                    status, type=fault.type, message=fault.message, code=fault.code
                )
                self._error(error, provider, request_id)
            elif stream:
                owner._wait(owner._model_latency())
                self._stream(provider, body, request_id, fault)
            else:
                if fault.kind == "delay":
                    owner._wait(fault.seconds)
                owner._wait(owner._model_latency())
                self._success(provider, body, request_id)

        # -- answers -------------------------------------------------------------------------

        def _id_headers(self, provider: Provider, request_id: str) -> None:
            self.send_header(
                "request-id" if provider == "anthropic" else "x-request-id", request_id
            )
            for name, value in self._extra.items():
                self.send_header(name, value)

        def _error(self, fault: Fault, provider: Provider, request_id: str) -> None:
            data = error_body(fault, provider, request_id)
            self.send_response(fault.status_code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self._id_headers(provider, request_id)
            for name, value in fault.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _success(self, provider: Provider, body: dict[str, Any], request_id: str) -> None:
            model = str(body.get("model") or "fake-model")
            tokens = prompt_tokens(body)
            if provider == "openai":
                answer = _sse.openai_completion(request_id, model, owner.reply, tokens)
            else:
                answer = _sse.anthropic_message(request_id, model, owner.reply, tokens)
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self._id_headers(provider, request_id)
            self.end_headers()
            self.wfile.write(data)

        def _stream(
            self, provider: Provider, body: dict[str, Any], request_id: str, fault: Fault
        ) -> None:
            model = str(body.get("model") or "fake-model")
            tokens = prompt_tokens(body)
            pieces = _sse.split_text(owner.reply, owner.chunks)
            if provider == "openai":
                options = body.get("stream_options")
                usage = isinstance(options, dict) and options.get("include_usage") is True
                head, frames, tail = _sse.openai_chunks(
                    request_id, model, pieces, tokens, usage=usage
                )
            else:
                head, frames, tail = _sse.anthropic_events(request_id, model, pieces, tokens)
            self.send_response(200)
            self.send_header("content-type", "text/event-stream; charset=utf-8")
            self.send_header("cache-control", "no-cache")
            self.send_header("transfer-encoding", "chunked")
            self._id_headers(provider, request_id)
            self.end_headers()
            for frame in head:
                self._chunk(frame)
            for index, frame in enumerate(frames):
                if self._fault_point(fault, index, provider, request_id):
                    return
                self._chunk(frame)
            if self._fault_point(fault, len(frames), provider, request_id):
                return
            for frame in tail[:-1]:
                self._chunk(frame)
            # The last frame and the end of the body in one write: clients that stop reading at
            # the last event then see a complete body and keep the connection.
            self._chunk(tail[-1], end=True)

        def _fault_point(self, fault: Fault, index: int, provider: Provider, rid: str) -> bool:
            """Apply a fault scheduled before content chunk *index*; True when the answer ended."""
            if fault.after != index:
                return False
            if fault.kind == "delay":
                owner._wait(fault.seconds)
            elif fault.kind == "stream_cut":
                raise _DisconnectError
            elif fault.kind == "stream_error":
                payload = error_payload(fault, provider, rid)
                if provider == "anthropic":
                    self._chunk(_sse.sse(payload, "error"), end=True)
                else:
                    self._chunk(_sse.sse(payload), end=True)
                return True
            return False

        def _chunk(self, data: bytes, *, end: bool = False) -> None:
            closing = b"0\r\n\r\n" if end else b""
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" + closing)

        def _hang_up(self) -> None:
            with contextlib.suppress(OSError):  # the peer may already be gone
                self.connection.shutdown(socket.SHUT_RDWR)

    return Handler


def prompt_tokens(body: dict[str, Any]) -> int:
    messages = body.get("messages")
    return max(1, len(json.dumps(messages)) // 4) if messages else 1
