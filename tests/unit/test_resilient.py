"""resilient(): one decorator, layers in the documented order, sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from resilience_kit import (
    AdaptiveLimiter,
    CallTimeoutError,
    CircuitBreaker,
    CircuitOpenError,
    ConfigurationError,
    ErrorCategory,
    RateLimitGate,
    RetryBudget,
    fallback,
    resilient,
)
from resilience_kit.testing import no_wait
from tests.unit.throughput_helpers import FakeAPIError, fake_errors, rate_limited


@pytest.fixture(autouse=True)
def _fakes() -> Iterator[None]:
    with fake_errors():
        yield


def test_retry_sees_each_attempt_through_gate_limiter_and_breaker() -> None:
    """A 429 with a hint closes the gate, halves the limiter, and the retry waits it out."""
    gate = RateLimitGate("api", pace=False)
    limiter = AdaptiveLimiter(8, 1, 8)
    breaker = CircuitBreaker("compose-1")
    calls = 0

    @resilient("default", gate=gate, limiter=limiter, breaker=breaker, max_attempts=3)
    def ask(prompt: str) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise rate_limited(2.0)
        return prompt.upper()

    with no_wait() as waits:
        assert "HI" == ask("hi")
    assert 2 == calls
    assert 4 == limiter.limit
    assert waits.sleeps[0] == pytest.approx(2.0, abs=0.01)


def test_open_circuit_ends_the_retry_and_fallback_answers() -> None:
    """Breaker opens after failures; the retry stops at CIRCUIT_OPEN; fallback answers outside."""
    breaker = CircuitBreaker("compose-2", failure_threshold=2, recovery_timeout=60)
    calls = 0

    def backup(prompt: str) -> str:
        return "backup"

    @resilient(
        "default",
        breaker=breaker,
        max_attempts=5,
        fallback=fallback(backup, on={ErrorCategory.CIRCUIT_OPEN}),
    )
    def ask(prompt: str) -> str:
        nonlocal calls
        calls += 1
        raise FakeAPIError(ErrorCategory.SERVER)

    with no_wait():
        assert "backup" == ask("x")
    assert 2 == calls


def test_budget_is_shared() -> None:
    """The budget passes through to the retry layer."""
    budget = RetryBudget(ratio=0.0, min_per_second=0.0)
    calls = 0

    @resilient("default", budget=budget, max_attempts=5)
    def ask() -> None:
        nonlocal calls
        calls += 1
        raise FakeAPIError(ErrorCategory.SERVER)

    with no_wait(), pytest.raises(FakeAPIError):
        ask()
    assert 1 == calls


async def test_timeout_bounds_each_attempt() -> None:
    """The timeout is innermost: every attempt gets the full time, then retry gives up."""
    calls = 0

    @resilient("default", timeout=0.01, max_attempts=2)
    async def ask() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(5)
        return "late"

    with no_wait(), pytest.raises(CallTimeoutError):
        await ask()
    assert 2 == calls


async def test_async_composition() -> None:
    """Async functions go through the async path of every layer."""
    gate = RateLimitGate("api-async", pace=False)
    limiter = AdaptiveLimiter(2, 1, 4)
    calls = 0

    @resilient("default", gate=gate, limiter=limiter, timeout=5)
    async def ask(n: int) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise rate_limited(1.0)
        return n

    with no_wait():
        assert 7 == await ask(7)
    assert 2 == calls


def test_circuit_open_error_is_not_retried() -> None:
    """An already open breaker rejects once; the retry does not loop on it."""
    breaker = CircuitBreaker("compose-3")
    breaker.force_open()

    @resilient("default", breaker=breaker)
    def ask() -> None:
        return None

    with no_wait() as waits, pytest.raises(CircuitOpenError):
        ask()
    assert [] == waits.sleeps


def test_bad_config_fails_at_decoration() -> None:
    """Wrong tool types, a bad timeout, a sync function with a timeout, unknown overrides."""
    with pytest.raises(ConfigurationError) as info:
        resilient(gate="openai")  # type: ignore[arg-type]
    assert "gate" == info.value.field
    with pytest.raises(ConfigurationError) as info:
        resilient(timeout=0)
    assert "timeout" == info.value.field
    with pytest.raises(ConfigurationError):
        resilient(max_attempts=0)
    with pytest.raises(ConfigurationError) as info:
        resilient(fallback="x")  # type: ignore[arg-type]
    assert "fallback" == info.value.field
    with pytest.raises(ConfigurationError) as info:

        @resilient(timeout=5)
        def ask() -> None:
            return None

    assert "timeout" == info.value.field
