"""``resilient(preset, ...)``: every resilience tool in one decorator, stacked in a fixed order.

Outermost first: fallback → retry → limiter → gate → breaker → timeout → function (the issue's
"gate/limiter" layer, limiter outside).

- **fallback** outside everything: it only sees the final failure, after retries gave up.
- **retry** outside the gate, limiter and breaker: each attempt waits at the gate, takes a limiter
  slot and is judged by the breaker; an open circuit (CIRCUIT_OPEN, not retryable) ends the loop.
- **limiter** outside the **gate**: only callers holding a slot reach the gate, so when a 429
  closes it at most ``limit`` callers are past it. (With the gate outside, every caller queued
  for a slot had already passed the gate and fired when its slot came: the benchmark's herd.)
- **breaker** innermost but for the timeout: a rejected call gives its slot back at once.
- **timeout** innermost: it bounds one attempt, so each retry gets the full time again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from typing_extensions import ParamSpec

from resilience_kit._breaker._circuit import CircuitBreaker
from resilience_kit._checks import check_number
from resilience_kit._retry._budget import RetryBudget
from resilience_kit._retry._decorator import retry
from resilience_kit._retry._hooks import AttemptHook
from resilience_kit._retry._policy import RetryPolicy
from resilience_kit._throughput._gate import RateLimitGate
from resilience_kit._throughput._limiter import AdaptiveLimiter
from resilience_kit._throughput._timeout import timeout as timeout_decorator
from resilience_kit.exceptions import ConfigurationError

P = ParamSpec("P")
R = TypeVar("R")

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class Resilient:
    """The decorator `resilient()` returns; keeps the decorated function's signature.

    See [`resilient()`][resilience_kit.resilient] for the order of the layers.
    """

    def __init__(self, layers: tuple[Decorator, ...]) -> None:
        self._layers = layers  # innermost first

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        wrapped: Callable[..., Any] = fn
        for layer in self._layers:
            wrapped = layer(wrapped)
        result: Callable[P, R] = wrapped
        return result


def _typed(field: str, value: object, kind: type) -> None:
    if value is not None and not isinstance(value, kind):
        raise ConfigurationError(
            field, f"must be a {kind.__name__} or None, got {type(value).__name__}"
        )


def resilient(
    preset: str = "default",
    *,
    policy: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    gate: RateLimitGate | None = None,
    limiter: AdaptiveLimiter | None = None,
    budget: RetryBudget | None = None,
    timeout: float | None = None,
    fallback: Decorator | None = None,
    on_retry: AttemptHook | None = None,
    on_give_up: AttemptHook | None = None,
    on_success: AttemptHook | None = None,
    **overrides: Any,
) -> Resilient:
    """One decorator for retry (*preset* / *policy* / ``**overrides``, sharing *budget*), a
    rate-limit *gate*, an adaptive *limiter*, a circuit *breaker*, a per-attempt *timeout* in
    seconds (async functions only) and a *fallback* (the decorator ``rk.fallback(...)`` returns).

    Order, outermost first: fallback → retry → limiter → gate → breaker → timeout → function.
    *on_retry*, *on_give_up* and *on_success* are the retry layer's lifecycle hooks.
    Everything is validated here, at decoration time.
    """
    _typed("breaker", breaker, CircuitBreaker)
    _typed("gate", gate, RateLimitGate)
    _typed("limiter", limiter, AdaptiveLimiter)
    if fallback is not None and not callable(fallback):
        raise ConfigurationError("fallback", "must be the decorator returned by rk.fallback(...)")
    layers: list[Decorator] = []
    if timeout is not None:
        layers.append(timeout_decorator(check_number("timeout", timeout, above=0.0)))
    layers.extend(tool for tool in (breaker, gate, limiter) if tool is not None)
    hooks = {"on_retry": on_retry, "on_give_up": on_give_up, "on_success": on_success}
    layers.append(retry(preset, policy=policy, budget=budget, **hooks, **overrides))
    if fallback is not None:
        layers.append(fallback)
    return Resilient(tuple(layers))
