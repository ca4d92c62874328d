"""FakeLLMServer itself: real openai and anthropic clients parse what it sends."""

from __future__ import annotations

import socket
import threading
import time

import anthropic
import httpx2
import openai
import pytest

from resilience_kit.exceptions import ConfigurationError
from resilience_kit.testing import FakeLLMServer, Fault

pytestmark = pytest.mark.integration
MESSAGES = [{"role": "user", "content": "hi"}]
REPLY = "Hello from FakeLLMServer."


def ask_openai(server: FakeLLMServer, **options: object) -> str:
    with server.openai_client(**options) as client:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        return reply.choices[0].message.content or ""


def stream_openai(server: FakeLLMServer, **options: object) -> list[str]:
    with server.openai_client(**options) as client:
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        return [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]


def ask_anthropic(server: FakeLLMServer, **options: object) -> str:
    with server.anthropic_client(**options) as client:
        reply = client.messages.create(model="claude-x", max_tokens=5, messages=MESSAGES)
        block = reply.content[0]
        return block.text if block.type == "text" else ""


def stream_anthropic(server: FakeLLMServer, **options: object) -> list[str]:
    with server.anthropic_client(**options) as client:
        events = client.messages.create(
            model="claude-x", max_tokens=5, messages=MESSAGES, stream=True
        )
        return [
            event.delta.text
            for event in events
            if event.type == "content_block_delta" and event.delta.type == "text_delta"
        ]


def test_openai_plain_and_streamed_answers(rk_fake_llm: FakeLLMServer) -> None:
    """The OpenAI client parses a completion and a chunked SSE stream of the configured reply."""
    rk_fake_llm.chunks = 3
    assert REPLY == ask_openai(rk_fake_llm)
    pieces = stream_openai(rk_fake_llm)
    assert REPLY == "".join(pieces)
    assert 5 == len(pieces)  # role chunk, three content chunks, finish chunk


def test_openai_stream_usage_chunk(rk_fake_llm: FakeLLMServer) -> None:
    """``stream_options.include_usage`` adds a usage chunk with no choices, as OpenAI does."""
    with rk_fake_llm.openai_client() as client:
        chunks = list(
            client.chat.completions.create(
                model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
            )
        )
    assert chunks[-1].usage is not None
    assert [] == chunks[-1].choices


def test_anthropic_plain_streamed_and_helper(rk_fake_llm: FakeLLMServer) -> None:
    """The Anthropic client parses a message, a raw event stream and ``messages.stream``."""
    rk_fake_llm.reply = "one two three"
    rk_fake_llm.chunks = 2
    assert "one two three" == ask_anthropic(rk_fake_llm)
    assert ["one two", " three"] == stream_anthropic(rk_fake_llm)
    with (
        rk_fake_llm.anthropic_client() as client,
        client.messages.stream(model="claude-x", max_tokens=5, messages=MESSAGES) as stream,
    ):
        assert "one two three" == stream.get_final_text()


async def test_async_clients(rk_fake_llm: FakeLLMServer) -> None:
    """The async clients work against the same server."""
    async with (
        rk_fake_llm.async_openai_client() as oai,
        rk_fake_llm.async_anthropic_client() as ant,
    ):
        reply = await oai.chat.completions.create(model="m", messages=MESSAGES)
        message = await ant.messages.create(model="c", max_tokens=5, messages=MESSAGES)
    assert REPLY == reply.choices[0].message.content
    assert "text" == message.content[0].type


def test_keep_alive_reuses_one_connection(rk_fake_llm: FakeLLMServer) -> None:
    """Calls on one client, error answers included, share one keep-alive connection."""
    rk_fake_llm.script(Fault.status(500), Fault.ok(), Fault.status(429))
    with rk_fake_llm.openai_client() as client:
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="m", messages=MESSAGES)
        client.chat.completions.create(model="m", messages=MESSAGES)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        for _ in range(2):
            client.chat.completions.create(model="m", messages=MESSAGES)
    assert 1 == len({r.client_port for r in rk_fake_llm.requests})
    assert 5 == rk_fake_llm.hits("/v1/chat/completions")


def test_status_fault_bodies_are_provider_shaped(rk_fake_llm: FakeLLMServer) -> None:
    """A status fault reaches each SDK as its typed error with code, type and request id."""
    rk_fake_llm.script(
        Fault.status(429, headers={"retry-after": "2"}, code="insufficient_quota"),
        Fault.status(529),
    )
    with pytest.raises(openai.RateLimitError) as oai:
        ask_openai(rk_fake_llm)
    with pytest.raises(anthropic.OverloadedError) as ant:
        ask_anthropic(rk_fake_llm)
    first, second = rk_fake_llm.requests
    assert "insufficient_quota" == oai.value.code
    assert "insufficient_quota" == oai.value.type
    assert "2" == oai.value.response.headers["retry-after"]
    assert first.request_id == oai.value.request_id
    assert "overloaded_error" == ant.value.type
    assert second.request_id == ant.value.request_id
    assert (429, 529) == (first.status, second.status)


def test_provider_queues_come_before_the_shared_one(rk_fake_llm: FakeLLMServer) -> None:
    """A provider's own queue is used first; the shared queue serves every provider."""
    rk_fake_llm.script(Fault.status(401), provider="anthropic")
    rk_fake_llm.script(Fault.status(404))
    with pytest.raises(anthropic.AuthenticationError):
        ask_anthropic(rk_fake_llm)
    with pytest.raises(openai.NotFoundError):
        ask_openai(rk_fake_llm)
    assert REPLY == ask_anthropic(rk_fake_llm)
    assert (0, 0) == (rk_fake_llm.pending("anthropic"), rk_fake_llm.pending())


def test_mid_stream_faults(rk_fake_llm: FakeLLMServer) -> None:
    """Error events and cuts arrive after the given number of content chunks."""
    rk_fake_llm.script(
        Fault.stream_error(after=2),
        Fault.stream_error(after=1),
        Fault.stream_cut(after=1),
        Fault.stream_cut(after=0),
    )
    seen: list[str] = []
    with pytest.raises(openai.APIError) as oai, rk_fake_llm.openai_client() as client:
        seen.extend(
            c.choices[0].delta.content or ""
            for c in client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        )
    with pytest.raises(anthropic.APIStatusError) as ant:
        stream_anthropic(rk_fake_llm)
    with pytest.raises(openai.APIConnectionError):
        stream_openai(rk_fake_llm)
    # anthropic 2.17 wraps the cut in APIConnectionError; earlier releases leak it raw
    with pytest.raises((httpx2.RemoteProtocolError, anthropic.APIConnectionError)):
        stream_anthropic(rk_fake_llm)
    assert 3 == len(seen)  # the role chunk and two content chunks
    assert {"message", "type", "param", "code"} == set(oai.value.body)  # type: ignore[arg-type]
    assert (200, "overloaded_error") == (ant.value.status_code, ant.value.type)
    assert [200, 200, 200, 200] == [r.status for r in rk_fake_llm.requests]


def test_stream_faults_on_plain_requests(rk_fake_llm: FakeLLMServer) -> None:
    """Without streaming, an error event is a 500/529 and a cut is a dropped connection."""
    rk_fake_llm.script(Fault.stream_error(), Fault.stream_error(), Fault.stream_cut())
    with pytest.raises(openai.InternalServerError):
        ask_openai(rk_fake_llm)
    with pytest.raises(anthropic.OverloadedError):
        ask_anthropic(rk_fake_llm)
    with pytest.raises(openai.APIConnectionError):
        ask_openai(rk_fake_llm)
    assert [500, 529, None] == [r.status for r in rk_fake_llm.requests]


def test_drop_and_delay(rk_fake_llm: FakeLLMServer) -> None:
    """A dropped connection is a connection error; a delay past the client timeout a timeout."""
    rk_fake_llm.script(Fault.drop(), Fault.delay(1.0), Fault.delay(0.05))
    with pytest.raises(openai.APIConnectionError) as dropped:
        ask_openai(rk_fake_llm)
    with pytest.raises(anthropic.APITimeoutError):
        ask_anthropic(rk_fake_llm, timeout=0.1)
    assert REPLY == ask_openai(rk_fake_llm, timeout=2.0)
    assert not isinstance(dropped.value, openai.APITimeoutError)
    assert ["drop", "delay", "delay"] == [r.outcome for r in rk_fake_llm.requests]


def test_stall_mid_stream(rk_fake_llm: FakeLLMServer) -> None:
    """``Fault.delay(after=n)`` stalls a stream after n chunks, so a read timeout fires mid-body."""
    rk_fake_llm.script(Fault.delay(1.0, after=1))
    with pytest.raises(openai.APITimeoutError):
        stream_openai(rk_fake_llm, timeout=0.2)


def test_outage_and_clear(rk_fake_llm: FakeLLMServer) -> None:
    """An outage answers every unscripted request until cleared; scripts still come first."""
    rk_fake_llm.set_outage(503)
    rk_fake_llm.script(Fault.ok())
    assert REPLY == ask_openai(rk_fake_llm)
    for _ in range(3):
        with pytest.raises(openai.InternalServerError):
            ask_openai(rk_fake_llm)
    rk_fake_llm.clear_outage()
    assert REPLY == ask_openai(rk_fake_llm)
    assert ["ok", "outage", "outage", "outage", "ok"] == [r.outcome for r in rk_fake_llm.requests]


def test_outage_per_provider(rk_fake_llm: FakeLLMServer) -> None:
    """An outage for one provider leaves the other answering."""
    rk_fake_llm.set_outage(Fault.status(529), provider="anthropic")
    with pytest.raises(anthropic.OverloadedError):
        ask_anthropic(rk_fake_llm)
    assert REPLY == ask_openai(rk_fake_llm)


def test_rate_limit_bucket() -> None:
    """Past the burst, requests get 429 with retry-after and retry-after-ms until tokens refill."""
    with FakeLLMServer(rate_limit=(2.0, 3)) as server, server.openai_client() as client:
        for _ in range(3):
            client.chat.completions.create(model="m", messages=MESSAGES)
        with pytest.raises(openai.RateLimitError) as limited:
            client.chat.completions.create(model="m", messages=MESSAGES)
        headers = limited.value.response.headers
        assert [200, 200, 200, 429] == [r.status for r in server.requests]
        assert "1" == headers["retry-after"]
        assert 0 < int(headers["retry-after-ms"]) <= 500
        assert "rate_limit_exceeded" == limited.value.code
        server.set_rate_limit(None)
        client.chat.completions.create(model="m", messages=MESSAGES)
        assert "ok" == server.requests[-1].outcome


def test_records_redact_secrets(rk_fake_llm: FakeLLMServer) -> None:
    """Records keep headers minus secrets, the stream flag, model, provider and status."""
    stream_openai(rk_fake_llm)
    ask_anthropic(rk_fake_llm)
    oai, ant = rk_fake_llm.requests
    assert "***" == oai.headers["authorization"]
    assert "***" == ant.headers.get("x-api-key", ant.headers.get("authorization"))
    assert "sk-" not in repr([dict(r.headers) for r in rk_fake_llm.requests])
    assert (True, "gpt-4o-mini", "openai", 200) == (oai.stream, oai.model, oai.provider, oai.status)
    assert (False, "anthropic") == (ant.stream, ant.provider)
    assert oai.time <= ant.time
    assert 1 == rk_fake_llm.hits(provider="anthropic")
    rk_fake_llm.reset()
    assert 0 == rk_fake_llm.hits()


def test_unknown_path_is_404(rk_fake_llm: FakeLLMServer) -> None:
    """Unknown routes answer 404 and are recorded without a provider."""
    with rk_fake_llm.openai_client() as client, pytest.raises(openai.NotFoundError):
        client.models.list()
    assert (None, 404) == (rk_fake_llm.requests[0].provider, rk_fake_llm.requests[0].status)


def test_binds_loopback_and_stops_fast() -> None:
    """The server listens on 127.0.0.1 only, stops within a second and frees the port."""
    server = FakeLLMServer().start()
    assert server.url.startswith("http://127.0.0.1:")
    port = server.port
    server.script(Fault.delay(30))
    client = server.openai_client(timeout=30)
    started = time.monotonic()
    server.stop()
    server.stop()
    assert time.monotonic() - started < 1.0
    client.close()
    with socket.socket() as probe:
        assert 0 != probe.connect_ex(("127.0.0.1", port))


def test_stop_cuts_a_hanging_request() -> None:
    """A request waiting on a long delay ends with a connection error when the server stops."""
    server = FakeLLMServer().start()
    server.script(Fault.delay(30))
    errors: list[BaseException] = []

    def call() -> None:
        try:
            ask_openai(server, timeout=10)
        except openai.APIConnectionError as exc:
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    while server.hits() == 0:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    worker.join(5)
    assert time.monotonic() - started < 1.0
    assert 1 == len(errors)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Fault.status(99), "status_code"),
        (lambda: Fault.status(True), "status_code"),  # noqa: FBT003 - the bad value under test
        (lambda: Fault.delay(-1), "seconds"),
        (lambda: Fault.delay(float("nan")), "seconds"),
        (lambda: Fault.stream_cut(after=-1), "after"),
        (lambda: FakeLLMServer(chunks=0), "chunks"),
        (lambda: FakeLLMServer(rate_limit=(0, 1)), "rate_limit"),
        (lambda: FakeLLMServer(rate_limit=(1, 0)), "rate_limit"),
        (lambda: FakeLLMServer().script("500"), "faults"),  # type: ignore[arg-type]
        (lambda: FakeLLMServer().script(provider="azure"), "provider"),  # type: ignore[arg-type]
    ],
)
def test_bad_config_names_the_field(make: object, field: str) -> None:
    """Invalid faults and settings raise ConfigurationError naming the field."""
    assert callable(make)
    with pytest.raises(ConfigurationError) as info:
        make()
    assert field == info.value.field


def test_stop_closes_clients_it_made() -> None:
    """Sync clients built by the server are closed when it stops, so no socket leaks."""
    server = FakeLLMServer().start()
    client = server.openai_client()
    client.chat.completions.create(model="m", messages=MESSAGES)
    server.stop()
    assert client.is_closed()


def test_clearing_without_a_provider_ends_every_outage(rk_fake_llm: FakeLLMServer) -> None:
    """``clear_outage()`` ends a provider's outage too; with a provider, only that one."""
    rk_fake_llm.set_outage(503, provider="openai")
    rk_fake_llm.set_outage(503, provider="anthropic")
    rk_fake_llm.clear_outage(provider="anthropic")
    with pytest.raises(openai.InternalServerError):
        ask_openai(rk_fake_llm)
    rk_fake_llm.clear_outage()
    assert REPLY == ask_openai(rk_fake_llm)
