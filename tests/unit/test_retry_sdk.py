"""``@retry`` around real openai/anthropic clients on an in-process transport (no sockets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from structlog.testing import capture_logs

import resilience_kit as rk
from resilience_kit.testing import NoWait

Handler = Callable[[httpx2.Request], httpx2.Response]


class Scripted:
    """Answers each request with the next scripted response; counts hits."""

    def __init__(self, *responses: httpx2.Response) -> None:
        self.responses = list(responses)
        self.hits = 0

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.hits += 1
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]


OPENAI_OK = {
    "id": "c1",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-4o-mini",
    "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}
    ],
}
ANTHROPIC_OK = {
    "id": "m1",
    "type": "message",
    "role": "assistant",
    "model": "claude-x",
    "content": [{"type": "text", "text": "hi"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 1, "output_tokens": 1},
}


def openai_error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    body = {"error": {"message": code, "type": code, "code": code, "param": None}}
    return httpx2.Response(status, headers=headers or {}, json=body)


def anthropic_error(
    status: int, kind: str, headers: dict[str, str] | None = None, **details: str
) -> httpx2.Response:
    error: dict[str, Any] = {"type": kind, "message": kind}
    if details:
        error["details"] = details
    return httpx2.Response(status, headers=headers or {}, json={"type": "error", "error": error})


def openai_ask(handler: Handler, **retry_args: Any) -> Callable[[], str]:
    client = openai.OpenAI(
        api_key="sk-test-key-not-real",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )

    @rk.retry("openai", **retry_args)
    def ask() -> str:
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
        return reply.choices[0].message.content or ""

    return ask


def anthropic_ask(handler: Handler, **retry_args: Any) -> Callable[[], str]:
    client = anthropic.Anthropic(
        api_key="sk-ant-test-key-not-real",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )

    @rk.retry("anthropic", **retry_args)
    def ask() -> str:
        reply = client.messages.create(
            model="claude-x", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
        block = reply.content[0]
        return block.text if block.type == "text" else ""

    return ask


def test_openai_429_with_retry_after_waits_the_hint(rk_no_wait: NoWait) -> None:
    """A 429 with retry-after: 2, then 200: two hits and one 2 s wait."""
    server = Scripted(
        openai_error(429, "rate_limit_exceeded", {"retry-after": "2"}),
        httpx2.Response(200, json=OPENAI_OK),
    )
    assert "hi" == openai_ask(server)()
    assert 2 == server.hits
    assert [2.0] == rk_no_wait.sleeps


def test_openai_insufficient_quota_is_not_retried(rk_no_wait: NoWait) -> None:
    """insufficient_quota is a billing stop: exactly one hit."""
    server = Scripted(openai_error(429, "insufficient_quota"))
    with pytest.raises(openai.RateLimitError) as info:
        openai_ask(server)()
    assert 1 == server.hits
    assert "quota is not retryable" in info.value.__notes__[-1]


def test_anthropic_spend_limit_is_not_retried(rk_no_wait: NoWait) -> None:
    """Anthropic's enforced spend limit (a 429) is not retried."""
    server = Scripted(
        anthropic_error(429, "rate_limit_error", error_code="enforced_spend_limit_reached")
    )
    with pytest.raises(anthropic.RateLimitError):
        anthropic_ask(server)()
    assert 1 == server.hits


@pytest.mark.parametrize("status", [500, 503])
def test_openai_server_errors_retry_up_to_max_attempts(status: int, rk_no_wait: NoWait) -> None:
    """5xx responses are retried until max_attempts."""
    server = Scripted(openai_error(status, "server_error"))
    with pytest.raises(openai.InternalServerError):
        openai_ask(server, max_attempts=4)()
    assert 4 == server.hits
    assert 3 == len(rk_no_wait.sleeps)


def test_anthropic_529_is_retried(rk_no_wait: NoWait) -> None:
    """Anthropic overloads (529) are retried until they pass."""
    server = Scripted(
        anthropic_error(529, "overloaded_error"),
        anthropic_error(529, "overloaded_error"),
        httpx2.Response(200, json=ANTHROPIC_OK),
    )
    assert "hi" == anthropic_ask(server)()
    assert 3 == server.hits


@pytest.mark.parametrize("status", [400, 401, 404])
def test_client_errors_are_not_retried(status: int, rk_no_wait: NoWait) -> None:
    """400, 401 and 404 fail after one hit."""
    server = Scripted(openai_error(status, "invalid_request_error"))
    with pytest.raises(openai.APIStatusError):
        openai_ask(server)()
    assert 1 == server.hits


def test_long_retry_after_gives_up_with_a_note(rk_no_wait: NoWait) -> None:
    """retry-after above max_retry_after: one hit, no sleep, the note says why."""
    server = Scripted(anthropic_error(429, "rate_limit_error", {"retry-after": "600"}))
    with pytest.raises(anthropic.RateLimitError) as info:
        anthropic_ask(server)()
    assert 1 == server.hits
    assert [] == rk_no_wait.sleeps
    assert "more than max_retry_after=60s" in info.value.__notes__[-1]


def test_secrets_never_reach_notes_or_events(rk_no_wait: NoWait) -> None:
    """The API key never appears in the note or the log events."""
    server = Scripted(openai_error(401, "invalid_api_key"))
    with capture_logs() as logs, pytest.raises(openai.AuthenticationError) as info:
        openai_ask(server)()
    assert "sk-test-key-not-real" not in repr(logs)
    assert "sk-test-key-not-real" not in "".join(info.value.__notes__)
