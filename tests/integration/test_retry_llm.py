"""``@retry`` around the real openai and anthropic clients against a loopback LLM server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anthropic
import openai
import pytest

import resilience_kit as rk
from resilience_kit.testing import NoWait
from tests.integration.loopback import (
    DROP,
    LoopbackLLM,
    Reply,
    Stream,
    anthropic_error,
    openai_error,
)

pytestmark = pytest.mark.integration
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackLLM]:
    """One loopback server for the module; each test plays its own script."""
    with LoopbackLLM() as running:
        yield running


_open_clients: list[openai.OpenAI | anthropic.Anthropic] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    """Close every client a test opened (unclosed sockets would warn in a later test)."""
    yield
    while _open_clients:
        _open_clients.pop().close()


def openai_client(server: LoopbackLLM) -> openai.OpenAI:
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-test-not-real", max_retries=0)
    _open_clients.append(client)
    return client


def anthropic_client(server: LoopbackLLM) -> anthropic.Anthropic:
    client = anthropic.Anthropic(base_url=server.url, api_key="sk-ant-test-not-real", max_retries=0)
    _open_clients.append(client)
    return client


def ask_openai(server: LoopbackLLM, **retry_args: object) -> rk.RetryingCallable[[], str]:
    client = openai_client(server)

    @rk.retry("openai", **retry_args)
    def ask() -> str:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        return reply.choices[0].message.content or ""

    return ask


def ask_anthropic(server: LoopbackLLM, **retry_args: object) -> rk.RetryingCallable[[], str]:
    client = anthropic_client(server)

    @rk.retry("anthropic", **retry_args)
    def ask() -> str:
        reply = client.messages.create(model="claude-x", max_tokens=5, messages=MESSAGES)
        block = reply.content[0]
        return block.text if block.type == "text" else ""

    return ask


@pytest.mark.parametrize(
    ("make", "rate_limited"),
    [
        (ask_openai, openai_error(429, "rate_limit_exceeded", **{"retry-after": "2"})),
        (ask_anthropic, anthropic_error(429, "rate_limit_error", **{"retry-after": "2"})),
    ],
)
def test_429_with_retry_after_then_success(
    server: LoopbackLLM, rk_no_wait: NoWait, make: object, rate_limited: Reply
) -> None:
    """429 with retry-after: 2, then 200: two hits and one recorded 2 s wait."""
    server.play(rate_limited, Reply())
    assert "hi" == make(server)()
    assert 2 == server.hits
    assert [2.0] == rk_no_wait.sleeps


@pytest.mark.parametrize(
    ("make", "stop", "error"),
    [
        (ask_openai, openai_error(429, "insufficient_quota"), openai.RateLimitError),
        (
            ask_anthropic,
            anthropic_error(429, "rate_limit_error", error_code="enforced_spend_limit_reached"),
            anthropic.RateLimitError,
        ),
        (ask_openai, openai_error(401, "invalid_api_key"), openai.AuthenticationError),
        (ask_openai, openai_error(400, "invalid_request_error"), openai.BadRequestError),
        (ask_openai, openai_error(404, "model_not_found"), openai.NotFoundError),
        (
            ask_anthropic,
            anthropic_error(401, "authentication_error"),
            anthropic.AuthenticationError,
        ),
        (ask_anthropic, anthropic_error(400, "invalid_request_error"), anthropic.BadRequestError),
        (ask_anthropic, anthropic_error(404, "not_found_error"), anthropic.NotFoundError),
    ],
)
def test_billing_stops_and_client_errors_hit_once(
    server: LoopbackLLM, rk_no_wait: NoWait, make: object, stop: Reply, error: type[Exception]
) -> None:
    """Quota, spend limits, 401, 400 and 404: exactly one hit, no sleep."""
    server.play(stop)
    with pytest.raises(error) as info:
        make(server)()
    assert 1 == server.hits
    assert [] == rk_no_wait.sleeps
    assert "not retryable" in info.value.__notes__[-1]


@pytest.mark.parametrize(
    ("make", "failure"),
    [
        (ask_openai, openai_error(500, "server_error")),
        (ask_openai, openai_error(503, "service_unavailable")),
        (ask_openai, DROP),
        (ask_anthropic, anthropic_error(529, "overloaded_error")),
        (ask_anthropic, anthropic_error(500, "api_error")),
        (ask_anthropic, DROP),
    ],
)
def test_transient_failures_retry_up_to_max_attempts(
    server: LoopbackLLM, rk_no_wait: NoWait, make: object, failure: Reply | str
) -> None:
    """500, 503, 529 and dropped connections: retried until max_attempts, then raised."""
    server.play(failure)
    with pytest.raises((openai.APIError, anthropic.APIError)) as info:
        make(server, max_attempts=3)()
    assert 3 == server.hits
    assert 2 == len(rk_no_wait.sleeps)
    assert "max_attempts=3 reached" in info.value.__notes__[-1]


def test_transient_failures_then_success(server: LoopbackLLM, rk_no_wait: NoWait) -> None:
    """A 503, a dropped connection, then a 200: three hits, the answer returned."""
    server.play(openai_error(503, "service_unavailable"), DROP, Reply())
    assert "hi" == ask_openai(server)()
    assert 3 == server.hits


def test_retry_after_above_cap_gives_up_with_note(server: LoopbackLLM, rk_no_wait: NoWait) -> None:
    """retry-after: 600 above max_retry_after: one hit, no sleep, a note saying why."""
    server.play(anthropic_error(429, "rate_limit_error", **{"retry-after": "600"}))
    with pytest.raises(anthropic.RateLimitError) as info:
        ask_anthropic(server)()
    assert 1 == server.hits
    assert [] == rk_no_wait.sleeps
    assert "server asked to wait 600s, more than max_retry_after=60s" in info.value.__notes__[-1]


def test_deadline_in_virtual_time(server: LoopbackLLM, rk_no_wait: NoWait) -> None:
    """503s asking for 20 s under a 50 s deadline: two waits, then it gives up (60 s > 50 s)."""
    server.play(openai_error(503, "service_unavailable", **{"retry-after": "20"}))
    with pytest.raises(openai.InternalServerError) as info:
        ask_openai(server, deadline=50)()
    assert 3 == server.hits
    assert [20.0, 20.0] == rk_no_wait.sleeps
    assert "past the deadline of 50s" in info.value.__notes__[-1]


async def test_async_clients_behave_the_same(server: LoopbackLLM, rk_no_wait: NoWait) -> None:
    """AsyncOpenAI and AsyncAnthropic: hint honoured, quota not retried, deadline respected."""
    async with (
        openai.AsyncOpenAI(base_url=server.url + "/v1", api_key="sk-x", max_retries=0) as oai,
        anthropic.AsyncAnthropic(base_url=server.url, api_key="sk-ant-x", max_retries=0) as ant,
    ):
        await _async_checks(server, rk_no_wait, oai, ant)


async def _async_checks(
    server: LoopbackLLM, rk_no_wait: NoWait, oai: openai.AsyncOpenAI, ant: anthropic.AsyncAnthropic
) -> None:
    @rk.retry("openai", deadline=50)
    async def ask() -> str:
        reply = await oai.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        return reply.choices[0].message.content or ""

    @rk.retry("anthropic")
    async def ask_claude() -> str:
        reply = await ant.messages.create(model="claude-x", max_tokens=5, messages=MESSAGES)
        return "hi" if reply.content else ""

    server.play(openai_error(429, "rate_limit_exceeded", **{"retry-after": "2"}), Reply())
    assert "hi" == await ask()
    assert (2, [2.0]) == (server.hits, rk_no_wait.sleeps)

    server.play(openai_error(429, "insufficient_quota"))
    with pytest.raises(openai.RateLimitError):
        await ask()
    assert 1 == server.hits

    server.play(openai_error(503, "service_unavailable", **{"retry-after": "20"}))
    with pytest.raises(openai.InternalServerError):
        await ask()
    assert 3 == server.hits

    server.play(anthropic_error(529, "overloaded_error"), DROP, Reply())
    assert "hi" == await ask_claude()
    assert 3 == server.hits


def openai_stream(server: LoopbackLLM) -> rk.RetryingCallable[[], Iterator[str]]:
    client = openai_client(server)

    @rk.retry("openai", jitter=0)
    def stream() -> Iterator[str]:
        chunks = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        for chunk in chunks:
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content

    return stream


def anthropic_stream(server: LoopbackLLM) -> rk.RetryingCallable[[], Iterator[str]]:
    client = anthropic_client(server)

    @rk.retry("anthropic", jitter=0)
    def stream() -> Iterator[str]:
        events = client.messages.create(
            model="claude-x", max_tokens=5, messages=MESSAGES, stream=True
        )
        for event in events:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield event.delta.text

    return stream


@pytest.mark.parametrize("make", [openai_stream, anthropic_stream])
@pytest.mark.parametrize(
    "failure", [Stream(error_after=0), Stream(cut_after=0)], ids=["error_event", "cut"]
)
def test_stream_failing_before_first_chunk_is_retried(
    server: LoopbackLLM, rk_no_wait: NoWait, make: object, failure: Stream
) -> None:
    """A stream that fails before its first chunk is retried; the output is whole, once."""
    server.play(failure, Stream())
    assert ["Hel", "lo", " wor", "ld"] == list(make(server)())
    assert 2 == server.hits


@pytest.mark.parametrize("make", [openai_stream, anthropic_stream])
@pytest.mark.parametrize(
    "failure", [Stream(error_after=3), Stream(cut_after=3)], ids=["error_event", "cut"]
)
def test_stream_failing_after_chunk_3_is_not_retried(
    server: LoopbackLLM, rk_no_wait: NoWait, make: object, failure: Stream
) -> None:
    """A stream failing after three chunks: one hit, no duplicated chunks, a note."""
    server.play(failure, Stream())
    seen: list[str] = []
    with pytest.raises(Exception) as info:  # noqa: PT011 - the SDKs raise different classes
        seen.extend(make(server)())
    assert ["Hel", "lo", " wor"] == seen
    assert 1 == server.hits
    assert "failed after yielding output" in info.value.__notes__[-1]


async def test_async_stream_retried_only_before_first_chunk(
    server: LoopbackLLM, rk_no_wait: NoWait
) -> None:
    """Async generators: retried before the first chunk, not after."""
    async with anthropic.AsyncAnthropic(
        base_url=server.url, api_key="sk-ant-x", max_retries=0
    ) as client:
        await _async_stream_checks(server, client)


async def _async_stream_checks(server: LoopbackLLM, client: anthropic.AsyncAnthropic) -> None:
    @rk.retry("anthropic", jitter=0)
    async def stream() -> AsyncIterator[str]:
        events = await client.messages.create(
            model="claude-x", max_tokens=5, messages=MESSAGES, stream=True
        )
        async for event in events:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield event.delta.text

    server.play(Stream(error_after=0), Stream())
    assert ["Hel", "lo", " wor", "ld"] == [chunk async for chunk in stream()]
    assert 2 == server.hits

    server.play(Stream(error_after=3), Stream())
    seen: list[str] = []

    async def consume() -> None:
        async for chunk in stream():
            seen.append(chunk)  # noqa: PERF401 - keep the chunks that arrived before the error

    with pytest.raises(anthropic.APIStatusError):
        await consume()
    assert ["Hel", "lo", " wor"] == seen
    assert 1 == server.hits
