"""The breaker with real openai and anthropic clients against a local server through an outage."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anthropic
import openai
import pytest

import resilience_kit as rk
from tests.unit._breaker_helpers import Clock

pytestmark = pytest.mark.integration

OPENAI_OK = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-4o-mini",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
ANTHROPIC_OK = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-opus-4-6",
    "content": [{"type": "text", "text": "hi"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}
ERRORS = {
    500: ("server_error", "api_error"),
    400: ("invalid_request_error", "invalid_request_error"),
    429: ("rate_limit_exceeded", "rate_limit_error"),
}


class Scripted:
    """A local LLM API that answers with `status` and counts every request it receives."""

    def __init__(self) -> None:
        self.status = 200
        self.hits = 0
        self.clients: list[openai.OpenAI | anthropic.Anthropic] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                scripted.hits += 1
                status = scripted.status
                anthropic_api = self.path.startswith("/v1/messages")
                if status == 200:
                    body: Any = ANTHROPIC_OK if anthropic_api else OPENAI_OK
                elif anthropic_api:
                    body = {"type": "error", "error": {"type": ERRORS[status][1], "message": "x"}}
                else:
                    code = ERRORS[status][0]
                    body = {"error": {"message": "x", "type": code, "code": code}}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                if status == 429:
                    self.send_header("retry-after", "1")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def server() -> Iterator[Scripted]:
    scripted = Scripted()
    yield scripted
    for client in scripted.clients:  # unclosed pools would warn inside some later test
        client.close()
    scripted.close()


def openai_call(server: Scripted) -> Callable[[], object]:
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-test", max_retries=0)
    server.clients.append(client)

    def call() -> object:
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )

    return call


def anthropic_call(server: Scripted) -> Callable[[], object]:
    client = anthropic.Anthropic(base_url=server.url, api_key="sk-ant-test", max_retries=0)
    server.clients.append(client)

    def call() -> object:
        return client.messages.create(
            model="claude-opus-4-6",
            max_tokens=8,
            messages=[{"role": "user", "content": "hi"}],
        )

    return call


CLIENTS = pytest.mark.parametrize("make_call", [openai_call, anthropic_call])


@CLIENTS
def test_outage_trips_blocks_and_recovers(
    server: Scripted, make_call: Callable[[Scripted], Callable[[], object]]
) -> None:
    """500s trip it at the threshold, later calls never reach the server, recovery closes it."""
    clock = Clock()
    breaker = rk.CircuitBreaker("llm", failure_threshold=3, recovery_timeout=30.0, clock=clock)
    call = breaker(make_call(server))
    server.status = 500
    for _ in range(3):
        with pytest.raises((openai.InternalServerError, anthropic.InternalServerError)):
            call()
    assert rk.CircuitState.OPEN == breaker.state
    for _ in range(5):
        with pytest.raises(rk.CircuitOpenError):
            call()
    assert 3 == server.hits
    server.status = 200
    clock.advance(30.0)
    call()
    assert rk.CircuitState.CLOSED == breaker.state
    assert 4 == server.hits


@CLIENTS
@pytest.mark.parametrize("status", [400, 429])
def test_client_errors_and_rate_limits_do_not_trip(
    server: Scripted, make_call: Callable[[Scripted], Callable[[], object]], status: int
) -> None:
    """400s and 429s are not an outage: the circuit stays closed and every call is sent."""
    breaker = rk.CircuitBreaker("llm", failure_threshold=2, clock=Clock())
    call = breaker(make_call(server))
    server.status = status
    for _ in range(5):
        with pytest.raises((openai.APIStatusError, anthropic.APIStatusError)):
            call()
    assert rk.CircuitState.CLOSED == breaker.state
    assert 5 == server.hits
