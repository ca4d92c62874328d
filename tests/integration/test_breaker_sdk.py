"""The breaker with real openai and anthropic clients against FakeLLMServer through an outage."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anthropic
import openai
import pytest

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, Fault
from tests.unit._breaker_helpers import Clock

pytestmark = pytest.mark.integration

Client = openai.OpenAI | anthropic.Anthropic
Caller = Callable[[FakeLLMServer, list[Client]], Callable[[], object]]
SDK_STATUS_ERRORS = (openai.APIStatusError, anthropic.APIStatusError)
SDK_ERRORS = (openai.APIError, anthropic.APIError)


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    """SDK clients made by a test, closed after it (an unclosed pool warns in a later test)."""
    made: list[Client] = []
    yield made
    for client in made:
        client.close()


def openai_call(server: FakeLLMServer, made: list[Client]) -> Callable[[], object]:
    client = server.openai_client()
    made.append(client)

    def call() -> object:
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )

    return call


def anthropic_call(server: FakeLLMServer, made: list[Client]) -> Callable[[], object]:
    client = server.anthropic_client()
    made.append(client)

    def call() -> object:
        return client.messages.create(
            model="claude-opus-4-6", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )

    return call


CALLERS = pytest.mark.parametrize("make_call", [openai_call, anthropic_call])


@CALLERS
def test_outage_trips_blocks_and_recovers(
    rk_fake_llm: FakeLLMServer, clients: list[Client], make_call: Caller
) -> None:
    """500s trip it at the threshold, later calls never reach the server, recovery closes it."""
    clock = Clock()
    breaker = rk.CircuitBreaker("llm", failure_threshold=3, recovery_timeout=30.0, clock=clock)
    call = breaker(make_call(rk_fake_llm, clients))
    rk_fake_llm.set_outage(500)
    for _ in range(3):
        with pytest.raises(SDK_STATUS_ERRORS):
            call()
    assert rk.CircuitState.OPEN == breaker.state
    for _ in range(5):
        with pytest.raises(rk.CircuitOpenError):
            call()
    assert 3 == rk_fake_llm.hits()
    clock.advance(30.0)
    with pytest.raises(SDK_STATUS_ERRORS):
        call()  # the probe finds the outage still on: open again
    assert rk.CircuitState.OPEN == breaker.state
    rk_fake_llm.clear_outage()
    clock.advance(30.0)
    call()
    assert rk.CircuitState.CLOSED == breaker.state
    assert 5 == rk_fake_llm.hits()


@CALLERS
@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(400),
        Fault.status(429, headers={"retry-after": "1"}),
    ],
    ids=["400", "429"],
)
def test_client_errors_and_rate_limits_do_not_trip(
    rk_fake_llm: FakeLLMServer, clients: list[Client], make_call: Caller, fault: Fault
) -> None:
    """400s and 429s are not an outage: the circuit stays closed and every call is sent."""
    breaker = rk.CircuitBreaker("llm", failure_threshold=2, clock=Clock())
    call = breaker(make_call(rk_fake_llm, clients))
    rk_fake_llm.set_outage(fault)
    for _ in range(5):
        with pytest.raises(SDK_STATUS_ERRORS):
            call()
    assert rk.CircuitState.CLOSED == breaker.state
    assert 5 == rk_fake_llm.hits()


def test_stream_failing_mid_way_counts_when_it_ends(
    rk_fake_llm: FakeLLMServer, clients: list[Client]
) -> None:
    """A streamed answer that breaks after some chunks counts as a failure at its end."""
    client = rk_fake_llm.anthropic_client()
    clients.append(client)
    breaker = rk.CircuitBreaker("stream", failure_threshold=2, clock=Clock())

    @breaker
    def stream() -> Iterator[str]:
        with client.messages.stream(
            model="claude-opus-4-6", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        ) as events:
            yield from events.text_stream

    rk_fake_llm.script(Fault.stream_error(after=2), Fault.stream_error(after=1))
    for _ in range(2):
        received: list[str] = []
        with pytest.raises(SDK_ERRORS):
            received.extend(stream())  # partial output arrives before the failure
        assert received
    assert rk.CircuitState.OPEN == breaker.state
    assert 2 == rk_fake_llm.hits()
