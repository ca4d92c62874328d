"""The HTTP handler behind ``FakeLLMServer``: one decision per request, then the answer."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qs, unquote

from resilience_kit.testing import _sse, _wire_bedrock, _wire_gemini
from resilience_kit.testing._answers import plain_answer, prompt_tokens, refusal, stream_plan
from resilience_kit.testing._faults import (
    Fault,
    Provider,
    bedrock_error,
    error_body,
    error_payload,
    non_stream_error,
)
from resilience_kit.testing._wire_responses import StoredResponse, stream_key

__all__ = [
    "Owner",
    "QuietHTTPServer",
    "Route",
    "make_handler",
    "prompt_tokens",
    "provider_of",
    "route_of",
]


class Owner(Protocol):
    """What the handler needs from its ``FakeLLMServer`` (so the two modules need not import
    each other)."""

    reply: str
    chunks: int

    def _decide(
        self,
        *,
        method: str,
        path: str,
        provider: Provider | None,
        headers: Mapping[str, str],
        body: Mapping[str, Any],
        stream: bool,
        client_port: int,
        model: str | None = None,
        refusal: Fault | None = None,
    ) -> tuple[Fault, Any, dict[str, str]]: ...

    def _wait(self, seconds: float) -> None: ...

    def _stored(self, response_id: str) -> StoredResponse | None: ...

    def _store(self, response: StoredResponse) -> None: ...

    def _take_cut(self, key: str, position: int, total: int) -> bool: ...

    def _model_latency(self) -> float: ...

    def _track(self, conn: socket.socket) -> None: ...

    def _untrack(self, conn: socket.socket) -> None: ...


_ROUTES: dict[str, Provider] = {
    "/v1/chat/completions": "openai",
    "/v1/messages": "anthropic",
}
# OpenAI Responses: POST /v1/responses creates, GET /v1/responses/{id} retrieves (or resumes)
_RETRIEVE = re.compile(r"/v1/responses/([^/]+)")
# Azure OpenAI: /openai/deployments/{deployment}/chat/completions?api-version=...
_AZURE = re.compile(r"/openai/deployments/([^/]+)/chat/completions")
# Gemini (Google AI /v1beta/models/M, Vertex AI .../publishers/google/models/M)
_GEMINI = re.compile(r"/[^?]*models/([^/:?]+):(generateContent|streamGenerateContent)")
# Bedrock Runtime: /model/{modelId}/{converse,converse-stream,invoke,invoke-with-response-stream}
_BEDROCK = re.compile(
    r"/model/([^/]+)/(converse|converse-stream|invoke|invoke-with-response-stream)"
)
_STREAM_OPERATIONS = frozenset(
    {"streamGenerateContent", "converse-stream", "invoke-with-response-stream"}
)


class Route(NamedTuple):
    """What a request path asks for: provider, operation, model in the path, streamed or not."""

    provider: Provider | None
    operation: str | None = None
    model: str | None = None
    stream: bool | None = None  # None: the body's "stream" flag decides
    response_id: str | None = None  # the Responses API's retrieve


def route_of(path: str, method: str = "POST") -> Route:
    """The route of *path* (asked with *method*); ``Route(None)`` for an unknown path."""
    bare, _, query = path.partition("?")
    bare = bare.rstrip("/")
    if method == "GET":
        match = _RETRIEVE.fullmatch(bare)
        if match is None:
            return Route(None)
        stream = parse_qs(query).get("stream", [""])[0] == "true"
        return Route("openai", "retrieve", None, stream, unquote(match.group(1)))
    if method != "POST":
        return Route(None)
    if bare == "/v1/responses":
        return Route("openai", "responses")
    provider = _ROUTES.get(bare)
    if provider is not None:
        return Route(provider)
    match = _AZURE.fullmatch(bare)
    if match is not None:
        return Route("openai", "chat", unquote(match.group(1)))
    match = _GEMINI.fullmatch(bare)
    if match is not None:
        operation = match.group(2)
        return Route("gemini", operation, unquote(match.group(1)), operation in _STREAM_OPERATIONS)
    match = _BEDROCK.fullmatch(bare)
    if match is not None:
        operation = match.group(2)
        return Route("bedrock", operation, unquote(match.group(1)), operation in _STREAM_OPERATIONS)
    return Route(None)


def provider_of(path: str) -> Provider | None:
    """The provider whose API *path* belongs to, or None for an unknown path."""
    return route_of(path).provider


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


def make_handler(owner: Owner) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to *owner* (its script, records and reply settings)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs; every answer is framed
        disable_nagle_algorithm = True
        server_version = "FakeLLMServer"
        sys_version = ""
        _route: Route = Route(None)

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests read server.requests instead

        def setup(self) -> None:
            self._extra: dict[str, str] = {}  # rate-limit headers of the current answer
            self._stored: StoredResponse | None = None  # the Responses API's response
            self._unsent: int | None = None  # body bytes left before a byte cut
            self._reply = owner.reply  # the text of the current answer
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
            route = route_of(self.path, self.command)
            provider = route.provider
            body: dict[str, Any] = payload if isinstance(payload, dict) else {}
            stream = body.get("stream") is True if route.stream is None else route.stream
            self._route = route
            self._stored = None if route.response_id is None else owner._stored(route.response_id)
            fault, record, extra = owner._decide(
                method=self.command,
                path=self.path,
                provider=provider,
                headers=dict(self.headers.items()),
                body=body,
                stream=stream,
                client_port=int(self.client_address[1]),
                model=route.model or (None if self._stored is None else self._stored.model),
                refusal=refusal(provider, route.operation, body, self._stored, route.response_id),
            )
            request_id = record.request_id
            self._extra = extra
            self._reply = record.reply if record.reply is not None else owner.reply
            if self._stored is not None:  # a retrieve replays the text the create answered
                self._reply = self._stored.reply
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
                self._error(non_stream_error(fault, provider), provider, request_id)
            elif stream:
                owner._wait(owner._model_latency())
                self._create(body, request_id)
                self._stream(provider, body, request_id, fault)
            else:
                if fault.kind == "delay":
                    owner._wait(fault.seconds)
                owner._wait(owner._model_latency())
                self._create(body, request_id)
                self._success(provider, body, request_id)

        def _create(self, body: dict[str, Any], request_id: str) -> None:
            """A Responses API create: keep the response for retrieves."""
            if self._route.operation != "responses":
                return
            model = str(body.get("model") or "fake-model")
            key = stream_key("responses", model, body.get("input"), body.get("instructions"))
            self._stored = StoredResponse(
                f"resp_{request_id}",
                model,
                body.get("background") is True,
                prompt_tokens(body),
                key,
                self._reply,
            )
            owner._store(self._stored)

        # -- answers -------------------------------------------------------------------------

        def _id_headers(self, provider: Provider, request_id: str) -> None:
            for name, value in self._extra.items():
                self.send_header(name, value)
            if provider == "gemini":
                return  # Google's API sends no request id header (the body has responseId)
            name = {"anthropic": "request-id", "bedrock": "x-amzn-RequestId"}.get(
                provider, "x-request-id"
            )
            self.send_header(name, request_id)

        def _error(self, fault: Fault, provider: Provider, request_id: str) -> None:
            data = error_body(fault, provider, request_id)
            self.send_response(fault.status_code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self._id_headers(provider, request_id)
            if provider == "bedrock":
                code = bedrock_error(fault)[0]
                self.send_header(
                    "x-amzn-ErrorType",
                    f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
                )
            for name, value in fault.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _success(self, provider: Provider, body: dict[str, Any], request_id: str) -> None:
            route = self._route
            model = route.model or str(body.get("model") or "fake-model")
            answer = plain_answer(
                provider, route.operation, body, request_id, model, self._reply, self._stored
            )
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
            route = self._route
            model = route.model or str(body.get("model") or "fake-model")
            after = parse_qs(self.path.partition("?")[2]).get("starting_after", ["-1"])[0]
            plan = stream_plan(
                provider,
                route.operation,
                body,
                request_id,
                model,
                self._reply,
                owner.chunks,
                self._stored,
                int(after) if after.lstrip("-").isdigit() else -1,
            )
            self.send_response(200)
            self.send_header("content-type", plan.content_type)
            self.send_header("cache-control", "no-cache")
            self.send_header("transfer-encoding", "chunked")
            self._id_headers(provider, request_id)
            self.end_headers()
            self._unsent = fault.after_bytes
            positions = iter(plan.positions)
            total = max(plan.positions, default=0) + 1
            head, frames, tail = plan.head, plan.frames, plan.tail

            def send(frame: bytes, *, end: bool = False) -> None:
                if owner._take_cut(plan.key, next(positions), total):
                    raise _DisconnectError
                self._chunk(frame, end=end)

            for frame in head:
                send(frame)
            for index, frame in enumerate(frames):
                if self._fault_point(fault, index, provider, request_id):
                    return
                send(frame)
            if self._fault_point(fault, len(frames), provider, request_id):
                return
            for frame in tail[:-1]:
                send(frame)
            # The last frame and the end of the body in one write: clients that stop reading at
            # the last event then see a complete body and keep the connection.
            if tail:
                send(tail[-1], end=True)
            else:
                self.wfile.write(b"0\r\n\r\n")

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
                    frame = _sse.sse(payload, "error")
                elif provider == "gemini":
                    frame = _wire_gemini.gemini_sse(payload)
                elif provider == "bedrock":
                    code, message = bedrock_error(fault)
                    frame = _wire_bedrock.exception_message(code[:1].lower() + code[1:], message)
                else:
                    frame = _sse.sse(payload)
                self._chunk(frame, end=True)
                return True
            return False

        def _chunk(self, data: bytes, *, end: bool = False) -> None:
            closing = b"0\r\n\r\n" if end else b""
            unsent = self._unsent
            if unsent is not None:  # Fault.stream_cut(after_bytes=n): cut inside the body
                if len(data) >= unsent:
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data[:unsent])
                    self.wfile.flush()
                    raise _DisconnectError
                self._unsent = unsent - len(data)
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" + closing)

        def _hang_up(self) -> None:
            with contextlib.suppress(OSError):  # the peer may already be gone
                self.connection.shutdown(socket.SHUT_RDWR)

    return Handler
