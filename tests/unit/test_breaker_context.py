"""What a breaker tells the rest of the call and the world: the call's context (one
classification per failed attempt, the rejection it now announces), listeners and log events."""

from __future__ import annotations

import httpx
import openai
import pytest
import structlog

import resilience_kit as rk
from resilience_kit import CircuitState, _call
from resilience_kit._classify import classify
from tests.unit._breaker_helpers import Clock

CLOSED, OPEN, HALF = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


def _openai_down() -> openai.APIConnectionError:
    return openai.APIConnectionError(request=httpx.Request("POST", "https://api.openai.com/v1"))


def test_a_failure_that_opens_the_circuit_is_announced_on_the_call_context() -> None:
    clock = Clock()
    breaker = rk.CircuitBreaker("ctx", failure_threshold=1, recovery_timeout=7.0, clock=clock)

    @breaker
    def call() -> None:
        raise ConnectionError("down")

    with _call.opened() as ctx:
        with pytest.raises(ConnectionError) as caught:
            call()
        rejection = ctx.rejection
        assert rejection is not None
        assert ("ctx", 7.0) == (rejection.name, rejection.retry_after)
        assert isinstance(rejection.error, rk.CircuitOpenError)
        assert 7.0 == rejection.error.retry_after
        assert ctx.failure is caught.value  # classified once, through the context
        assert rk.ErrorCategory.CONNECTION == ctx.classification.category


def test_a_failure_that_leaves_the_circuit_closed_announces_nothing() -> None:
    breaker = rk.CircuitBreaker("ctx-closed", failure_threshold=2)

    with _call.opened() as ctx:
        with pytest.raises(ConnectionError), breaker:
            raise ConnectionError("down")
        assert ctx.rejection is None
        assert ctx.classification is not None


async def test_the_breaker_reads_the_classification_already_on_the_context() -> None:
    """A layer that met the failure first classified it: the breaker reads that answer."""
    breaker = rk.CircuitBreaker("ctx-first", failure_threshold=1)
    error = ValueError("a server failure, by the outer layer's classification")
    server = rk.Classification(category=rk.ErrorCategory.SERVER, retryable=True)

    with _call.opened() as ctx:
        assert server is ctx.classified(error, lambda _exc: server)
        with pytest.raises(ValueError, match="outer"):
            async with breaker:
                raise error
        assert ctx.rejection is not None
        assert server is ctx.classification  # not classified again
    assert OPEN == breaker.state  # on its own, a ValueError is UNKNOWN: not a breaker failure
    assert rk.ErrorCategory.UNKNOWN == classify(error).category


def test_listeners_hear_open_to_half_open_when_a_read_sees_it() -> None:
    clock = Clock()
    seen: list[tuple[CircuitState, CircuitState]] = []
    breaker = rk.CircuitBreaker(
        "told", failure_threshold=1, recovery_timeout=5.0, clock=clock,
        listeners=[lambda _name, old, new: seen.append((old, new))],
    )  # fmt: skip
    with pytest.raises(ConnectionError), breaker:
        raise ConnectionError("down")
    clock.advance(5.0)
    assert HALF == breaker.state
    assert [(CLOSED, OPEN), (OPEN, HALF)] == seen
    assert HALF == breaker.snapshot().state
    with breaker:  # the probe: the move is made now, and not told twice
        pass
    assert [(CLOSED, OPEN), (OPEN, HALF), (HALF, CLOSED)] == seen


def test_a_read_then_reset_tells_legal_steps() -> None:
    clock = Clock()
    seen: list[tuple[CircuitState, CircuitState]] = []
    breaker = rk.CircuitBreaker(
        "told-reset", failure_threshold=1, recovery_timeout=1.0, clock=clock
    )
    breaker.add_listener(lambda _name, old, new: seen.append((old, new)))
    with pytest.raises(ConnectionError), breaker:
        raise ConnectionError("down")
    clock.advance(2.0)
    assert HALF == breaker.snapshot().state
    breaker.reset()
    assert [(CLOSED, OPEN), (OPEN, HALF), (HALF, CLOSED)] == seen


def test_open_circuit_events_name_the_provider_that_failed() -> None:
    clock = Clock()
    breaker = rk.CircuitBreaker("provider", failure_threshold=1, clock=clock)

    @breaker
    def call() -> None:
        raise _openai_down()

    with structlog.testing.capture_logs() as logs:
        with pytest.raises(openai.APIConnectionError):
            call()
        with pytest.raises(rk.CircuitOpenError):
            call()
    opened = [e for e in logs if e["event"] == "breaker_state_changed" and e["new_state"] == "open"]
    rejected = [e for e in logs if e["event"] == "breaker_rejected"]
    assert ["openai"] == [e.get("provider") for e in opened]
    assert ["openai"] == [e.get("provider") for e in rejected]
