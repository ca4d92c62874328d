"""@retry outside a breaker: no sleeping into a certain rejection, and the provider error kept."""

from __future__ import annotations

import asyncio

import pytest

import resilience_kit as rk
from resilience_kit.testing import no_wait
from tests.unit.sdk_errors import openai_error


def test_retry_gives_up_at_once_when_the_breaker_it_wraps_opened() -> None:
    """The attempt that trips a 30 s breaker ends the retries without a sleep; the 503 stays."""
    breaker = rk.CircuitBreaker("svc", failure_threshold=1, recovery_timeout=30.0)
    attempts = 0

    @rk.retry(max_attempts=5, initial_wait=1.0, max_wait=8.0, max_retry_after=10.0)
    @breaker
    def ask() -> str:
        nonlocal attempts
        attempts += 1
        raise openai_error(503, message="overloaded")

    with no_wait() as waits, pytest.raises(rk.CircuitOpenError) as caught:
        ask()
    assert 1 == attempts
    assert [] == waits.sleeps
    assert "svc" == caught.value.name
    assert 503 == rk.classify(caught.value.__cause__).status_code  # type: ignore[arg-type]


async def test_async_retry_gives_up_at_once_when_the_breaker_is_open() -> None:
    """Same for async functions: no sleep, CircuitOpenError caused by the provider's error."""
    breaker = rk.CircuitBreaker("asvc", failure_threshold=1, recovery_timeout=30.0)
    attempts = 0

    @rk.retry(max_attempts=5, initial_wait=1.0, max_retry_after=10.0)
    @breaker
    async def ask() -> str:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0)
        raise openai_error(503, message="overloaded")

    with no_wait() as waits, pytest.raises(rk.CircuitOpenError) as caught:
        await ask()
    assert (1, []) == (attempts, waits.sleeps)
    assert isinstance(caught.value.__cause__, Exception)


WAIT_FOR_CIRCUITS = {"server", "overloaded", "circuit_open"}


def test_retry_waits_until_the_breaker_half_opens_when_the_policy_says_so() -> None:
    """retry_on names circuit_open and the open time fits max_retry_after and the deadline: one
    wait of exactly that long, then the next attempt is the probe that closes the circuit."""
    breaker = rk.CircuitBreaker("short", failure_threshold=1, recovery_timeout=3.0)
    attempts = 0

    @rk.retry(
        max_attempts=3,
        initial_wait=0.5,
        max_wait=1.0,
        max_retry_after=10.0,
        deadline=60.0,
        retry_on=WAIT_FOR_CIRCUITS,
    )
    @breaker
    def ask() -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise openai_error(503, message="overloaded")
        return "ok"

    with no_wait() as waits:
        assert "ok" == ask()
    assert 2 == attempts
    assert [pytest.approx(3.0, abs=0.01)] == waits.sleeps
    assert rk.CircuitState.CLOSED == breaker.state


def test_an_open_time_beyond_max_retry_after_ends_the_retry_at_once() -> None:
    """Even when the policy waits for circuits, an open time past max_retry_after is not waited."""
    breaker = rk.CircuitBreaker("long", failure_threshold=1, recovery_timeout=30.0)

    @rk.retry(max_attempts=3, max_retry_after=10.0, retry_on=WAIT_FOR_CIRCUITS)
    @breaker
    def ask() -> str:
        raise openai_error(503, message="overloaded")

    with no_wait() as waits, pytest.raises(rk.CircuitOpenError):
        ask()
    assert [] == waits.sleeps


class FrozenError(ConnectionError):
    """A user exception that refuses new attributes (a strict ``__setattr__``)."""

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")


def test_the_rejection_reaches_retry_through_the_call_even_on_a_frozen_exception() -> None:
    """The breaker tells retry through the call's context, not the exception: a frozen error
    still ends the retries without a sleep."""
    breaker = rk.CircuitBreaker("frozen", failure_threshold=1, recovery_timeout=30.0)

    @rk.retry(max_attempts=5, initial_wait=1.0, max_retry_after=10.0)
    @breaker
    def ask() -> str:
        raise FrozenError("reset")

    with no_wait() as waits, pytest.raises(rk.CircuitOpenError) as caught:
        ask()
    assert [] == waits.sleeps
    assert isinstance(caught.value.__cause__, FrozenError)
