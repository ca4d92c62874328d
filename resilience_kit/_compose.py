"""``resilient(preset, ...)``: every resilience tool in one decorator, stacked in a fixed order.

Outermost first: fallback → retry → tokens → limiter → gate → breaker → timeout → function.
One call context (``_call``) spans every layer, the fallback included: the retry deadline and the
per-attempt timeout bound every wait inside, and each failure is classified once.

- **fallback** outside everything: it only sees the final failure, after retries gave up.
- **retry** outside the gate, limiter and breaker: each attempt waits at the gate, takes a limiter
  slot and is judged by the breaker; an open circuit (CIRCUIT_OPEN, not retryable) ends the loop.
- **tokens** (a ``TokenLimiter``) first among the throughput tools: an attempt reserves its request
  and tokens before it queues for a slot, so no slot is held while the budget refills.
- **limiter** outside the **gate**: only callers holding a slot reach the gate, so when a 429
  closes it at most ``limit`` callers are past it. (With the gate outside, every caller queued
  for a slot has already passed the gate and fires when its slot comes: a thundering herd.)
- **breaker** innermost but for the timeout: a rejected call gives its slot back at once.
- **timeout** innermost: it bounds one attempt, so each retry gets the full time again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from typing_extensions import ParamSpec, Unpack

from resilience_kit import _call
from resilience_kit._breaker import CircuitBreaker
from resilience_kit._callables import callable_kind, through_descriptor
from resilience_kit._checks import check_seconds
from resilience_kit._retry import (
    AsyncOnlyDecorator,
    AttemptHook,
    Continuation,
    Preset,
    RetryBudget,
    RetryingCallable,
    RetryOverrides,
    SyncAttemptHook,
    check_keywords,
    retry,
)
from resilience_kit._throughput import AdaptiveLimiter, RateLimitGate, TokenLimiter
from resilience_kit._throughput import timeout as timeout_decorator
from resilience_kit.exceptions import ConfigurationError

if TYPE_CHECKING:
    from resilience_kit._retry import RetryPolicy

P = ParamSpec("P")
R = TypeVar("R")

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]
"""Any decorator: a callable taking a function and returning its wrapped version."""


class Resilient:
    """The decorator [`resilient()`][resilience_kit.resilient] returns; keeps the decorated
    function's signature.

    The result is a [`RetryingCallable`][resilience_kit.RetryingCallable]: ``.policy``, ``.retry``,
    ``.statistics`` are the retry layer's, and ``.retry_with(**overrides)`` rebuilds the whole stack
    with a new policy.
    """

    def __init__(
        self,
        inner: tuple[Decorator, ...],
        retry_layer: Callable[[Callable[..., Any]], RetryingCallable[..., Any]],
        outer: tuple[Decorator, ...],
    ) -> None:
        self._inner = inner  # innermost first
        self._retry_layer = retry_layer
        self._outer = outer

    def __call__(self, fn: Callable[P, R]) -> RetryingCallable[P, R]:
        # A classmethod/staticmethod object is stacked around its function and stays one.
        return through_descriptor(fn, self._stack)

    def _stack(self, fn: Callable[P, R]) -> RetryingCallable[P, R]:
        wrapped: Callable[..., Any] = fn
        for layer in self._inner:
            wrapped = layer(wrapped)
        return self._finish(self._retry_layer(wrapped), fn)

    def _finish(
        self, retrying: RetryingCallable[..., Any], fn: Callable[P, R]
    ) -> RetryingCallable[P, R]:
        outer: Any = retrying
        for layer in self._outer:
            outer = layer(outer)
        if self._outer:  # the fallback reads the call's context: the failure is classified once
            outer = _in_call(None)(outer)
        if outer is not retrying:
            outer.retry = retrying.retry
            outer.policy = retrying.policy
            outer.statistics = retrying.statistics

        rebuild = retrying.retry_with  # read before *outer* (maybe *retrying*) gets its own

        def retry_with(**overrides: Any) -> RetryingCallable[P, R]:
            return self._finish(rebuild(**overrides), fn)

        outer.retry_with = retry_with
        outer.__wrapped__ = fn
        return cast("RetryingCallable[P, R]", outer)


def _in_call(timeout: float | None) -> Decorator:
    """A layer running each call inside the call's context (`_call.opened`); with *timeout*, the
    attempt must be done *timeout* seconds from here (`_call.bounded`: every inner wait honours
    it). Generators pass through: their layers keep the context themselves."""

    def bound() -> Any:
        return _call.opened() if timeout is None else _call.bounded(timeout)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        kind = callable_kind(fn)
        if kind in {"generator", "async_generator"}:
            return fn
        if kind == "async":

            @functools.wraps(fn)
            async def abounded(*args: Any, **kwargs: Any) -> Any:
                with bound():
                    return await fn(*args, **kwargs)

            return abounded

        @functools.wraps(fn)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            with bound():
                return fn(*args, **kwargs)

        return bounded

    return decorate


def _typed(field: str, value: object, kind: type) -> None:
    if value is not None and not isinstance(value, kind):
        raise ConfigurationError(
            field, f"must be a {kind.__name__} or None, got {type(value).__name__}"
        )


@overload
def resilient(
    preset: Preset = "default",
    *,
    policy: RetryPolicy | None = None,
    name: str | None = None,
    breaker: CircuitBreaker | None = None,
    gate: RateLimitGate | None = None,
    limiter: AdaptiveLimiter | None = None,
    tokens: TokenLimiter | None = None,
    budget: RetryBudget | None = None,
    continuation: Continuation | None = None,
    timeout: float | None = None,
    fallback: Decorator | None = None,
    on_retry: SyncAttemptHook | None = None,
    on_give_up: SyncAttemptHook | None = None,
    on_success: SyncAttemptHook | None = None,
    **overrides: Unpack[RetryOverrides],
) -> Resilient: ...
@overload
def resilient(
    preset: Preset = "default",
    *,
    policy: RetryPolicy | None = None,
    name: str | None = None,
    breaker: CircuitBreaker | None = None,
    gate: RateLimitGate | None = None,
    limiter: AdaptiveLimiter | None = None,
    tokens: TokenLimiter | None = None,
    budget: RetryBudget | None = None,
    continuation: Continuation | None = None,
    timeout: float | None = None,
    fallback: Decorator | None = None,
    on_retry: AttemptHook | None = None,
    on_give_up: AttemptHook | None = None,
    on_success: AttemptHook | None = None,
    **overrides: Unpack[RetryOverrides],
) -> AsyncOnlyDecorator: ...
def resilient(
    preset: Preset = "default",
    *,
    policy: RetryPolicy | None = None,
    name: str | None = None,
    breaker: CircuitBreaker | None = None,
    gate: RateLimitGate | None = None,
    limiter: AdaptiveLimiter | None = None,
    tokens: TokenLimiter | None = None,
    budget: RetryBudget | None = None,
    continuation: Continuation | None = None,
    timeout: float | None = None,
    fallback: Decorator | None = None,
    on_retry: AttemptHook | None = None,
    on_give_up: AttemptHook | None = None,
    on_success: AttemptHook | None = None,
    **overrides: Unpack[RetryOverrides],
) -> Resilient | AsyncOnlyDecorator:
    """One decorator for retry (*preset* / *policy* / ``**overrides``, sharing *budget*), a
    rate-limit *gate*, an adaptive *limiter*, a token-aware admission limiter *tokens*, a circuit
    *breaker*, a per-attempt *timeout* in seconds (async functions only) and a *fallback* (the
    decorator ``rk.fallback(...)`` returns).

    Order, outermost first: fallback → retry → tokens → limiter → gate → breaker → timeout →
    function.
    *on_retry*, *on_give_up* and *on_success* are the retry layer's lifecycle hooks; *name*
    names the function in events and metrics (as ``retry(name=...)``); *continuation* continues
    a generator cut after output (as ``retry(continuation=...)``): each follow-up goes through
    every layer inside the retry as a call of its own.
    Everything is validated here, at decoration time.
    """
    check_keywords(resilient, overrides)
    _typed("breaker", breaker, CircuitBreaker)
    _typed("gate", gate, RateLimitGate)
    _typed("limiter", limiter, AdaptiveLimiter)
    _typed("tokens", tokens, TokenLimiter)
    if fallback is not None and not callable(fallback):
        raise ConfigurationError("fallback", "must be the decorator returned by rk.fallback(...)")
    layers: list[Decorator] = []
    if timeout is not None:
        timeout = check_seconds("timeout", timeout, above=0.0)
        layers.append(timeout_decorator(timeout))
    layers.extend(tool for tool in (breaker, gate, limiter, tokens) if tool is not None)
    if timeout is not None:  # each attempt, its queueing at the limiter and gate included
        layers.append(_in_call(timeout))
    retry_layer: Any = retry(
        preset,
        policy=policy,
        name=name,
        budget=budget,
        continuation=continuation,
        on_retry=on_retry,
        on_give_up=on_give_up,
        on_success=on_success,
        **overrides,
    )
    return Resilient(tuple(layers), retry_layer, () if fallback is None else (fallback,))
