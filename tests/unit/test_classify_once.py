"""One classification per failed attempt, read by every layer the failure crosses."""

from __future__ import annotations

from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit._classify import _dispatch
from resilience_kit.testing import NoWait
from tests.unit.sdk_errors import openai_error


@pytest.fixture
def dispatcher_calls(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Every top-level trip through the dispatcher (causes followed inside it are not counted)."""
    calls: list[BaseException] = []
    real = _dispatch._classify

    def counting(exc: BaseException, depth: int) -> rk.Classification:
        if depth == 0:
            calls.append(exc)
        return real(exc, depth)

    monkeypatch.setattr(_dispatch, "_classify", counting)
    return calls


async def test_resilient_with_every_layer_classifies_each_failure_once(
    rk_no_wait: NoWait, dispatcher_calls: list[BaseException]
) -> None:
    """Breaker, gate, limiter, budget, timeout, retry, fallback: 1 dispatcher call per attempt."""
    raised: list[BaseException] = []

    @rk.resilient(
        "openai",
        max_attempts=4,
        breaker=rk.CircuitBreaker("once", failure_threshold=100),
        gate=rk.RateLimitGate("once"),
        limiter=rk.AdaptiveLimiter(4, 1, 8),
        budget=rk.RetryBudget(ratio=1.0, min_per_second=100.0),
        timeout=30.0,
        fallback=rk.fallback(default="fallback answer"),
    )
    async def ask() -> str:
        exc = openai_error(429, code="rate_limit_exceeded", headers={"retry-after": "1"})
        raised.append(exc)
        raise exc

    assert "fallback answer" == await ask()
    assert 4 == len(raised)
    assert [id(e) for e in raised] == [id(e) for e in dispatcher_calls]


def test_sync_retry_and_breaker_classify_each_failure_once(
    rk_no_wait: NoWait, dispatcher_calls: list[BaseException]
) -> None:
    """A sync function under retry and a breaker: one dispatcher call per failed attempt."""
    attempts: list[int] = []
    breaker = rk.CircuitBreaker("once-sync", failure_threshold=100)

    @rk.retry("default", max_attempts=3)
    @breaker
    def call() -> None:
        attempts.append(1)
        raise TimeoutError("slow")

    with pytest.raises(TimeoutError):
        call()
    assert 3 == len(attempts) == len(dispatcher_calls)


def test_a_reused_exception_object_is_classified_again_on_the_next_attempt(
    rk_no_wait: NoWait, dispatcher_calls: list[BaseException]
) -> None:
    """The same object raised by every attempt is judged afresh each time (its state may change)."""
    shared = openai_error(503)
    statuses = iter([503, 400])

    @rk.retry("default", max_attempts=5)
    def call() -> Any:
        shared.status_code = next(statuses)  # the second attempt's failure is not retryable
        raise shared

    with pytest.raises(type(shared)):
        call()
    assert 2 == len(dispatcher_calls)


def test_public_classify_is_never_cached() -> None:
    """``rk.classify`` answers from the exception's state now, even after a layer kept one."""
    exc = openai_error(503)
    assert rk.ErrorCategory.OVERLOADED == rk.classify(exc).category
    _dispatch.classify_once(exc)
    exc.status_code = 400
    assert rk.ErrorCategory.BAD_REQUEST == rk.classify(exc).category


def test_outside_a_call_the_answer_is_never_kept(
    dispatcher_calls: list[BaseException],
) -> None:
    """Outside a kit call every layer classifies afresh, and nothing is kept on the exception."""
    exc = TimeoutError("slow")
    assert rk.ErrorCategory.TIMEOUT == _dispatch.classify_once(exc).category
    assert rk.ErrorCategory.TIMEOUT == _dispatch.classify_once(exc).category
    assert 2 == len(dispatcher_calls)
    assert {} == vars(exc)
    unregister = rk.register_exception_map({TimeoutError: rk.ErrorCategory.SERVER}, name="once")
    try:
        assert rk.ErrorCategory.SERVER == _dispatch.classify_once(exc).category
    finally:
        unregister()


def test_a_retried_call_leaves_no_classification_on_the_users_exception(
    rk_no_wait: NoWait, dispatcher_calls: list[BaseException]
) -> None:
    """Retry, gate and fallback share one answer per attempt through the call, not the error."""
    raised: list[BaseException] = []

    @rk.resilient(
        "openai",
        max_attempts=2,
        gate=rk.RateLimitGate("no-attribute"),
        fallback=rk.fallback(default="fallback answer"),
    )
    def ask() -> str:
        exc = openai_error(503)
        raised.append(exc)
        raise exc

    assert "fallback answer" == ask()
    assert 2 == len(raised) == len(dispatcher_calls)
    assert all(not hasattr(e, "__resilience_kit_classification__") for e in raised)
