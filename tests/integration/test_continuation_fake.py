"""FakeLLMServer's Responses API, Anthropic prefill and stream cuts, read by the real clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, Fault

pytestmark = pytest.mark.integration

REPLY = "One two three four five six seven eight."


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(reply=REPLY, chunks=8) as fake:
        yield fake


def test_responses_create_and_retrieve(server: FakeLLMServer) -> None:
    """A plain create answers the whole response; retrieve returns it; events are numbered."""
    client = server.openai_client()
    created = client.responses.create(model="gpt-4.1", input="hi", background=True)
    assert REPLY == created.output_text
    assert REPLY == client.responses.retrieve(created.id).output_text
    events = list(client.responses.create(model="gpt-4.1", input="hi", stream=True))
    assert list(range(len(events))) == [e.sequence_number for e in events]
    assert "response.completed" == events[-1].type
    assert created.background is True
    assert events[0].response.background is False


def test_retrieve_resumes_after_a_sequence_number(server: FakeLLMServer) -> None:
    """retrieve(stream=True, starting_after=N) sends the events after N, and only those."""
    client = server.openai_client()
    first = list(client.responses.create(model="m", input="x", stream=True, background=True))
    rid = first[0].response.id
    rest = list(client.responses.retrieve(rid, stream=True, starting_after=5))
    assert [e.model_dump() for e in first[6:]] == [e.model_dump() for e in rest]
    assert [] == list(client.responses.retrieve(rid, stream=True, starting_after=len(first) - 1))


def test_retrieve_of_an_unknown_response_is_404(server: FakeLLMServer) -> None:
    """An id the server never made: a 404, as the API answers."""
    with pytest.raises(openai.NotFoundError):
        server.openai_client().responses.retrieve("resp_nope")
    assert [404] == [r.status for r in server.requests]


def test_scripted_cut_after_events_and_bytes(server: FakeLLMServer) -> None:
    """stream_cut(after=n) cuts after n content events; after_bytes=n inside the body."""
    client = server.openai_client()
    server.enqueue(Fault.stream_cut(after=2), Fault.stream_cut(after_bytes=50), provider="openai")
    for expected in (6, 0):
        got: list[Any] = []
        with pytest.raises(openai.APIConnectionError):
            got.extend(client.responses.create(model="m", input="x", stream=True))
        assert expected == len(got)


@pytest.mark.parametrize(
    ("model", "prefill", "options", "message"),
    [
        ("claude-opus-4-6", "One", {}, "does not support assistant message prefill"),
        ("claude-sonnet-4-5", "One ", {}, "trailing whitespace"),
        (
            "claude-sonnet-4-5",
            "One",
            {"thinking": {"type": "enabled", "budget_tokens": 1024}},
            "thinking",
        ),
    ],
)
def test_prefill_refusals(
    server: FakeLLMServer, model: str, prefill: str, options: dict[str, Any], message: str
) -> None:
    """Models 4.6 and later, trailing whitespace and extended thinking: a 400, as the API."""
    client = server.anthropic_client()
    chat: list[Any] = [{"role": "user", "content": "q"}, {"role": "assistant", "content": prefill}]
    with pytest.raises(anthropic.BadRequestError, match=message):
        client.messages.create(model=model, max_tokens=10, messages=chat, **options)


def test_prefill_continues_plain_and_streamed(server: FakeLLMServer) -> None:
    """A prefill (string or text blocks) is continued from where it ends."""
    client = server.anthropic_client()
    blocks = [{"type": "text", "text": "One two"}]
    for content in ("One two", blocks):
        chat: list[Any] = [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": content},
        ]
        message = client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=chat)
        assert " three four five six seven eight." == message.content[0].text  # type: ignore[union-attr]
    with client.messages.stream(model="claude-haiku-4-5", max_tokens=10, messages=chat) as stream:
        assert REPLY == "One two" + "".join(stream.text_stream)


def test_cut_streams_is_checked(server: FakeLLMServer) -> None:
    """Bad seeds and counts name the field; None stops cutting."""
    with pytest.raises(rk.ConfigurationError, match="seed"):
        server.cut_streams(-1)
    for cuts in ((0, 1), (2, 1), (1,), (True, 2), (1.0, 2)):
        with pytest.raises(rk.ConfigurationError, match="cuts"):
            server.cut_streams(1, cuts=cuts)  # type: ignore[arg-type]
    server.cut_streams(1, cuts=(3, 3))
    server.cut_streams(None)
    client = server.anthropic_client()
    chat: list[Any] = [{"role": "user", "content": "q"}]
    with client.messages.stream(model="claude-haiku-4-5", max_tokens=10, messages=chat) as stream:
        assert REPLY == "".join(stream.text_stream)


def test_seeded_cuts_reach_every_provider(server: FakeLLMServer) -> None:
    """Chat Completions streams are cut too; each place once, so a plain retry runs past."""
    server.cut_streams(7, cuts=(2, 2))
    client = server.openai_client()
    cut = 0
    for _ in range(5):
        try:
            stream = client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "q"}], stream=True
            )
            text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
            break
        except openai.APIConnectionError:
            cut += 1
    assert (2, REPLY) == (cut, text)
