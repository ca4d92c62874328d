"""Real openai and anthropic clients against FakeLLMServer: 200 streams, each cut 1-3 times."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, NoWait

pytestmark = pytest.mark.integration

# Double spaces, a newline and words split across pieces: whitespace and tokens at every cut.
REPLY = (
    "Streams that survive a cut  continue from the last delivered token,\n"
    "never repeat it, and never skip one: the caller sees a single answer. "
    "Every follow-up is an attempt for the retry and a call for the breaker."
)
STREAMS = 200
MODEL = "claude-sonnet-4-5"
OPTIONS: dict[str, Any] = {"max_attempts": 10, "deadline": None}


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(reply=REPLY, chunks=12) as fake:
        yield fake


def _responses(server: FakeLLMServer, continuation: rk.Continuation | None) -> Any:
    client = server.openai_client()

    @rk.retry("openai", continuation=continuation, **OPTIONS)
    def ask(
        prompt: str, *, response_id: str | None = None, starting_after: int | None = None
    ) -> Iterator[Any]:
        if response_id is None:
            stream = client.responses.create(
                model="gpt-4.1", input=prompt, stream=True, background=True
            )
        else:
            stream = client.responses.retrieve(
                response_id, stream=True, starting_after=starting_after
            )
        with stream:
            yield from stream

    return ask


def _messages(server: FakeLLMServer, continuation: rk.Continuation | None) -> Any:
    client = server.anthropic_client()

    @rk.retry("anthropic", continuation=continuation, **OPTIONS)
    def ask(*, model: str, messages: list[dict[str, Any]]) -> Iterator[Any]:
        stream = client.messages.create(model=model, max_tokens=256, messages=messages, stream=True)
        with stream:
            yield from stream

    return ask


def _shape(event: Any) -> tuple[Any, ...]:
    """An event without the ids that differ from one response to the next."""
    return (event.sequence_number, event.type, getattr(event, "delta", None))


def _text(events: list[Any]) -> str:
    return "".join(e.delta.text for e in events if e.type == "content_block_delta")


def _parallel(work: Any, count: int) -> list[Any]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(work, range(count)))


def test_responses_streams_resume_event_for_event(
    server: FakeLLMServer, rk_no_wait: NoWait
) -> None:
    """200 background Responses streams cut 1-3 times each: every caller gets exactly the
    events of an uncut stream, in order, and the whole text once."""
    uncut = [_shape(e) for e in _responses(server, None)("reference")]
    server.cut_streams(seed=27, cuts=(1, 3))
    ask = _responses(server, rk.OpenAIBackground())
    results = _parallel(lambda n: [_shape(e) for e in ask(f"stream {n}")], STREAMS)
    assert [uncut] * STREAMS == results
    follow_ups = sum(1 for r in server.requests if r.method == "GET")
    assert STREAMS <= follow_ups <= 3 * STREAMS + 3 * STREAMS  # cuts, and cuts right at a resume
    assert STREAMS + 1 == server.hits("/v1/responses")


def test_prefill_streams_join_text_for_text(server: FakeLLMServer, rk_no_wait: NoWait) -> None:
    """200 Anthropic streams cut 1-3 times each: every caller's text is the uncut text, no
    character twice or lost, and one message (one start, one stop) per caller."""
    server.cut_streams(seed=27, cuts=(1, 3))
    ask = _messages(server, rk.AnthropicPrefill())

    def one(n: int) -> list[Any]:
        return list(ask(model=MODEL, messages=[{"role": "user", "content": f"stream {n}"}]))

    results = _parallel(one, STREAMS)
    assert [REPLY] * STREAMS == [_text(events) for events in results]
    for events in results:
        kinds = [e.type for e in events]
        assert 1 == kinds.count("message_start") == kinds.count("message_stop")
    prefilled = [r for r in server.requests if r.body["messages"][-1]["role"] == "assistant"]
    assert len(prefilled) >= STREAMS // 2
    assert all(
        r.body["messages"][-1]["content"] == r.body["messages"][-1]["content"].rstrip()
        for r in prefilled
    )


def test_text_stream_items_continue_too(server: FakeLLMServer, rk_no_wait: NoWait) -> None:
    """A generator yielding text pieces (``text_stream``-style) continues from the same text."""
    client = server.anthropic_client()
    server.cut_streams(seed=3, cuts=(3, 3))

    @rk.retry("anthropic", continuation=rk.AnthropicPrefill(), **OPTIONS)
    def ask(*, model: str, messages: list[dict[str, Any]]) -> Iterator[str]:
        with client.messages.stream(model=model, max_tokens=256, messages=messages) as stream:
            yield from stream.text_stream

    for n in range(20):
        assert REPLY == "".join(ask(model=MODEL, messages=[{"role": "user", "content": str(n)}]))


def test_async_clients_continue(server: FakeLLMServer, rk_no_wait: NoWait) -> None:
    """The async clients and async generators: 50 streams each, cut 1-3 times, run at once."""
    server.cut_streams(seed=5, cuts=(1, 3))

    async def main() -> tuple[list[str], list[str]]:
        openai_client = server.async_openai_client()
        anthropic_client = server.async_anthropic_client()

        @rk.retry("openai", continuation=rk.OpenAIBackground(), **OPTIONS)
        async def responses(
            prompt: str, *, response_id: str | None = None, starting_after: int | None = None
        ) -> AsyncIterator[Any]:
            if response_id is None:
                stream = await openai_client.responses.create(
                    model="gpt-4.1", input=prompt, stream=True, background=True
                )
            else:
                stream = await openai_client.responses.retrieve(
                    response_id, stream=True, starting_after=starting_after
                )
            async with stream:
                async for event in stream:
                    yield event

        @rk.retry("anthropic", continuation=rk.AnthropicPrefill(), **OPTIONS)
        async def messages(*, model: str, messages: list[dict[str, Any]]) -> AsyncIterator[Any]:
            stream = await anthropic_client.messages.create(
                model=model, max_tokens=256, messages=messages, stream=True
            )
            async with stream:
                async for event in stream:
                    yield event

        async def one_response(n: int) -> str:
            out = [e async for e in responses(f"async {n}")]
            return "".join(e.delta for e in out if e.type == "response.output_text.delta")

        async def one_message(n: int) -> str:
            chat = [{"role": "user", "content": f"async {n}"}]
            return _text([e async for e in messages(model=MODEL, messages=chat)])

        try:
            texts = await asyncio.gather(*(one_response(n) for n in range(50)))
            joined = await asyncio.gather(*(one_message(n) for n in range(50)))
        finally:
            await openai_client.close()
            await anthropic_client.close()
        return list(texts), list(joined)

    texts, joined = asyncio.run(main())
    assert [REPLY] * 50 == texts
    assert [REPLY] * 50 == joined


def _drain(stream: Iterator[Any]) -> tuple[list[Any], Exception]:
    items: list[Any] = []
    try:
        for item in stream:
            items.append(item)  # noqa: PERF402 - keep what came before the cut
    except Exception as exc:
        return items, exc
    raise AssertionError("the stream was not cut")


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_off_is_todays_behaviour(server: FakeLLMServer, rk_no_wait: NoWait, provider: str) -> None:
    """Without a continuation the first cut propagates after the items delivered (a prefix of
    the uncut stream), unretried, with today's note: one request per stream."""
    if provider == "openai":
        ask = _responses(server, None)
        uncut = [_shape(e) for e in ask("reference")]
    else:
        ask = _messages(server, None)
        uncut_text = _text(list(ask(model=MODEL, messages=[{"role": "user", "content": "-"}])))
        assert REPLY == uncut_text
    server.reset()
    server.cut_streams(seed=11, cuts=(1, 1))
    for n in range(20):
        if provider == "openai":
            items, exc = _drain(ask(f"off {n}"))
            assert uncut[: len(items)] == [_shape(e) for e in items]
        else:
            items, exc = _drain(ask(model=MODEL, messages=[{"role": "user", "content": str(n)}]))
            assert REPLY.startswith(_text(items))
        assert any("not retried to avoid duplicates" in note for note in exc.__notes__)
    assert 20 == len(server.requests)
    assert [] == rk_no_wait.sleeps


def test_model_refusing_prefill_ends_the_continuation(
    server: FakeLLMServer, rk_no_wait: NoWait
) -> None:
    """A model that refuses prefill: the original cut is re-raised with the reason, and the
    model is not asked again on the next cut."""
    server.cut_streams(seed=1, cuts=(2, 2))
    prefill = rk.AnthropicPrefill()
    ask = _messages(server, prefill)
    for n in range(2):
        with pytest.raises(Exception) as info:  # noqa: PT011 - the SDK's transport error
            list(ask(model="claude-opus-4-6", messages=[{"role": "user", "content": str(n)}]))
        assert not isinstance(info.value, rk.ConfigurationError)
        assert "does not support assistant message prefill" in info.value.__notes__[-1] or (
            "claude-opus-4-6 does not support assistant prefill" in info.value.__notes__[-1]
        )
    assert frozenset({"claude-opus-4-6"}) == prefill.refusing()
    statuses = [r.status for r in server.requests]
    assert 1 == statuses.count(400)  # asked once, remembered


def test_every_layer_sees_every_follow_up(server: FakeLLMServer, rk_no_wait: NoWait) -> None:
    """Through resilient(): the breaker judges, the limiter admits and the token limiter
    reserves every request the continued streams make, and every slot comes back."""
    client = server.anthropic_client()
    breaker = rk.CircuitBreaker("continued-sdk", failure_threshold=1000)
    limiter = rk.AdaptiveLimiter(initial=4, min=1, max=4)
    tokens = rk.TokenLimiter(rpm=100_000)
    server.cut_streams(seed=9, cuts=(1, 3))

    @rk.resilient(
        "anthropic",
        continuation=rk.AnthropicPrefill(),
        breaker=breaker,
        limiter=limiter,
        tokens=tokens,
        **OPTIONS,
    )
    def ask(*, model: str, messages: list[dict[str, Any]]) -> Iterator[str]:
        with client.messages.stream(model=model, max_tokens=256, messages=messages) as stream:
            yield from stream.text_stream

    def one(n: int) -> str:
        return "".join(ask(model=MODEL, messages=[{"role": "user", "content": f"layers {n}"}]))

    assert [REPLY] * 40 == _parallel(one, 40)
    requests = len(server.requests)
    assert requests > 40  # follow-ups were made
    snap = breaker.snapshot()
    assert (requests, 0) == (snap.calls, snap.probes_in_flight)
    assert 0 == limiter.in_flight
