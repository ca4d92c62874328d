"""``@retry`` around the real openai and anthropic clients against ``FakeLLMServer``.

Each case counts the server's hits: the acceptance list of the retry issue, sync and async,
plain and streaming.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import anthropic
import openai
import pytest

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, Fault, NoWait

pytestmark = pytest.mark.integration
MESSAGES = [{"role": "user", "content": "hi"}]
Ask = Callable[..., Callable[[], str]]


@pytest.fixture
def clients(rk_fake_llm: FakeLLMServer) -> Iterator[Clients]:
    """Sync openai and anthropic clients for the fake server, closed after the test."""
    with rk_fake_llm.openai_client() as oai, rk_fake_llm.anthropic_client() as ant:
        yield Clients(rk_fake_llm, oai, ant)


class Clients:
    """The fake server and one client per provider."""

    def __init__(self, server: FakeLLMServer, oai: openai.OpenAI, ant: anthropic.Anthropic) -> None:
        self.server = server
        self.openai = oai
        self.anthropic = ant


def ask_openai(clients: Clients, **retry_args: object) -> Callable[[], str]:
    client = clients.openai

    @rk.retry("openai", **retry_args)
    def ask() -> str:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        return reply.choices[0].message.content or ""

    return ask


def ask_anthropic(clients: Clients, **retry_args: object) -> Callable[[], str]:
    client = clients.anthropic

    @rk.retry("anthropic", **retry_args)
    def ask() -> str:
        reply = client.messages.create(model="claude-x", max_tokens=50, messages=MESSAGES)
        block = reply.content[0]
        return block.text if block.type == "text" else ""

    return ask


@pytest.mark.parametrize("make", [ask_openai, ask_anthropic])
def test_429_with_retry_after_then_success(
    rk_fake_llm: FakeLLMServer, clients: Clients, rk_no_wait: NoWait, make: Ask
) -> None:
    """429 with retry-after: 2, then 200: two hits and one recorded 2 s wait."""
    rk_fake_llm.script(Fault.status(429, headers={"retry-after": "2"}), Fault.ok())
    assert rk_fake_llm.reply == make(clients)()
    assert 2 == rk_fake_llm.hits()
    assert [2.0] == rk_no_wait.sleeps


@pytest.mark.parametrize(
    ("make", "stop", "error"),
    [
        (ask_openai, Fault.status(429, code="insufficient_quota"), openai.RateLimitError),
        (
            ask_anthropic,
            Fault.status(429, code="enforced_spend_limit_reached"),
            anthropic.RateLimitError,
        ),
        (ask_openai, Fault.status(401), openai.AuthenticationError),
        (ask_openai, Fault.status(400), openai.BadRequestError),
        (ask_openai, Fault.status(404), openai.NotFoundError),
        (ask_anthropic, Fault.status(401), anthropic.AuthenticationError),
        (ask_anthropic, Fault.status(400), anthropic.BadRequestError),
        (ask_anthropic, Fault.status(404), anthropic.NotFoundError),
    ],
    ids=["openai-quota", "anthropic-spend", "oa401", "oa400", "oa404", "an401", "an400", "an404"],
)
def test_billing_stops_and_client_errors_hit_once(
    rk_fake_llm: FakeLLMServer,
    clients: Clients,
    rk_no_wait: NoWait,
    make: Ask,
    stop: Fault,
    error: type[Exception],
) -> None:
    """Quota, spend limits, 401, 400 and 404: exactly one hit, no sleep, a note why."""
    rk_fake_llm.set_outage(stop)
    with pytest.raises(error) as info:
        make(clients)()
    assert 1 == rk_fake_llm.hits()
    assert [] == rk_no_wait.sleeps
    assert "not retryable" in info.value.__notes__[-1]


@pytest.mark.parametrize(
    ("make", "failure"),
    [
        (ask_openai, Fault.status(500)),
        (ask_openai, Fault.status(503)),
        (ask_openai, Fault.drop()),
        (ask_anthropic, Fault.status(529)),
        (ask_anthropic, Fault.status(503)),
        (ask_anthropic, Fault.drop()),
    ],
    ids=["oa500", "oa503", "oa-drop", "an529", "an503", "an-drop"],
)
def test_transient_failures_retry_up_to_max_attempts(
    rk_fake_llm: FakeLLMServer, clients: Clients, rk_no_wait: NoWait, make: Ask, failure: Fault
) -> None:
    """500, 503, 529 and dropped connections: retried until max_attempts, then raised."""
    rk_fake_llm.set_outage(failure)
    with pytest.raises((openai.APIError, anthropic.APIError)) as info:
        make(clients, max_attempts=3)()
    assert 3 == rk_fake_llm.hits()
    assert 2 == len(rk_no_wait.sleeps)
    assert "max_attempts=3 reached" in info.value.__notes__[-1]


def test_transient_failures_then_success(
    rk_fake_llm: FakeLLMServer, clients: Clients, rk_no_wait: NoWait
) -> None:
    """A 503, a dropped connection, then a 200: three hits, the answer returned."""
    rk_fake_llm.script(Fault.status(503), Fault.drop())
    assert rk_fake_llm.reply == ask_openai(clients)()
    assert 3 == rk_fake_llm.hits()


def test_retry_after_above_cap_gives_up_with_note(
    rk_fake_llm: FakeLLMServer, clients: Clients, rk_no_wait: NoWait
) -> None:
    """retry-after: 600 above max_retry_after: one hit, no sleep, a note saying why."""
    rk_fake_llm.script(Fault.status(429, headers={"retry-after": "600"}))
    with pytest.raises(anthropic.RateLimitError) as info:
        ask_anthropic(clients)()
    assert 1 == rk_fake_llm.hits()
    assert [] == rk_no_wait.sleeps
    assert "server asked to wait 600s, more than max_retry_after=60s" in info.value.__notes__[-1]


def test_deadline_in_virtual_time(
    rk_fake_llm: FakeLLMServer, clients: Clients, rk_no_wait: NoWait
) -> None:
    """503s asking for 20 s under a 50 s deadline: two waits, then it gives up (60 s > 50 s)."""
    rk_fake_llm.set_outage(Fault.status(503, headers={"retry-after": "20"}))
    with pytest.raises(openai.InternalServerError) as info:
        ask_openai(clients, deadline=50)()
    assert 3 == rk_fake_llm.hits()
    assert [20.0, 20.0] == rk_no_wait.sleeps
    assert "past the deadline of 50s" in info.value.__notes__[-1]


async def test_async_clients_behave_the_same(
    rk_fake_llm: FakeLLMServer, rk_no_wait: NoWait
) -> None:
    """AsyncOpenAI and AsyncAnthropic: hint honoured, quota not retried, deadline respected."""
    async with (
        rk_fake_llm.async_openai_client() as oai,
        rk_fake_llm.async_anthropic_client() as ant,
    ):

        @rk.retry("openai", deadline=50)
        async def ask() -> str:
            reply = await oai.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            return reply.choices[0].message.content or ""

        @rk.retry("anthropic")
        async def ask_claude() -> str:
            reply = await ant.messages.create(model="claude-x", max_tokens=50, messages=MESSAGES)
            return "answered" if reply.content else ""

        rk_fake_llm.script(Fault.status(429, headers={"retry-after": "2"}))
        assert rk_fake_llm.reply == await ask()
        assert (2, [2.0]) == (rk_fake_llm.hits(), rk_no_wait.sleeps)

        rk_fake_llm.reset()
        rk_fake_llm.script(Fault.status(429, code="insufficient_quota"))
        with pytest.raises(openai.RateLimitError):
            await ask()
        assert 1 == rk_fake_llm.hits()

        rk_fake_llm.reset()
        rk_fake_llm.set_outage(Fault.status(503, headers={"retry-after": "20"}))
        with pytest.raises(openai.InternalServerError):
            await ask()
        assert 3 == rk_fake_llm.hits()

        rk_fake_llm.reset()
        rk_fake_llm.script(Fault.status(529), Fault.drop())
        assert "answered" == await ask_claude()
        assert 3 == rk_fake_llm.hits()


def openai_stream(clients: Clients) -> Callable[[], Iterator[str]]:
    client = clients.openai

    @rk.retry("openai", jitter=0)
    def stream() -> Iterator[str]:
        chunks = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        for chunk in chunks:
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content

    return stream


def anthropic_stream(clients: Clients) -> Callable[[], Iterator[str]]:
    client = clients.anthropic

    @rk.retry("anthropic", jitter=0)
    def stream() -> Iterator[str]:
        events = client.messages.create(
            model="claude-x", max_tokens=50, messages=MESSAGES, stream=True
        )
        for event in events:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield event.delta.text

    return stream


@pytest.mark.parametrize("make", [openai_stream, anthropic_stream])
@pytest.mark.parametrize(
    "failure", [Fault.stream_error(after=0), Fault.stream_cut(after=0)], ids=["error", "cut"]
)
def test_stream_failing_before_first_chunk_is_retried(
    rk_fake_llm: FakeLLMServer,
    clients: Clients,
    rk_no_wait: NoWait,
    make: Callable[..., Callable[[], Iterator[str]]],
    failure: Fault,
) -> None:
    """A stream failing before its first chunk is retried; the whole answer arrives once."""
    rk_fake_llm.script(failure)
    chunks = list(make(clients)())
    assert rk_fake_llm.reply == "".join(chunks)
    assert rk_fake_llm.chunks == len(chunks)
    assert 2 == rk_fake_llm.hits()


@pytest.mark.parametrize("make", [openai_stream, anthropic_stream])
@pytest.mark.parametrize(
    "failure", [Fault.stream_error(after=3), Fault.stream_cut(after=3)], ids=["error", "cut"]
)
def test_stream_failing_after_chunk_3_is_not_retried(
    rk_fake_llm: FakeLLMServer,
    clients: Clients,
    rk_no_wait: NoWait,
    make: Callable[..., Callable[[], Iterator[str]]],
    failure: Fault,
) -> None:
    """A stream failing after three chunks: one hit, no duplicated chunks, a note."""
    rk_fake_llm.script(failure)
    seen: list[str] = []
    with pytest.raises(Exception) as info:  # noqa: PT011 - the SDKs raise different classes
        seen.extend(make(clients)())
    assert 3 == len(seen)
    assert rk_fake_llm.reply.startswith("".join(seen))
    assert 1 == rk_fake_llm.hits()
    assert "failed after yielding output" in info.value.__notes__[-1]


async def test_async_stream_retried_only_before_first_chunk(
    rk_fake_llm: FakeLLMServer, rk_no_wait: NoWait
) -> None:
    """Async generators: retried before the first chunk, not after."""
    async with rk_fake_llm.async_anthropic_client() as client:

        @rk.retry("anthropic", jitter=0)
        async def stream() -> AsyncIterator[str]:
            events = await client.messages.create(
                model="claude-x", max_tokens=50, messages=MESSAGES, stream=True
            )
            async for event in events:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    yield event.delta.text

        rk_fake_llm.script(Fault.stream_error(after=0))
        assert rk_fake_llm.reply == "".join([chunk async for chunk in stream()])
        assert 2 == rk_fake_llm.hits()

        rk_fake_llm.reset()
        rk_fake_llm.script(Fault.stream_error(after=3))
        seen: list[str] = []

        async def consume() -> None:
            async for chunk in stream():
                seen.append(chunk)  # noqa: PERF401 - keep what arrived before the error

        with pytest.raises(anthropic.APIStatusError):
            await consume()
        assert 3 == len(seen)
        assert 1 == rk_fake_llm.hits()
