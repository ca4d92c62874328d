"""tenacity building blocks for people who keep writing ``@tenacity.retry(...)`` themselves.

``@tenacity.retry(**resilience_kit.tenacity_kwargs("openai"))`` gives plain tenacity the kit's
classification, server hints and backoff. Differences from ``@retry``: a hint beyond
``max_retry_after`` is treated as "do not retry" by
[`retry_if_retryable()`][resilience_kit.retry_if_retryable], the deadline is tenacity's
``stop_before_delay`` (real time), and statistics are tenacity's own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Literal, TypedDict, overload

import tenacity
from tenacity.retry import retry_base
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from resilience_kit import _clock
from resilience_kit._categories import RETRYABLE_CATEGORIES, ErrorCategory
from resilience_kit._classify import classify_once
from resilience_kit._retry._policy import RetryPolicy
from resilience_kit._retry._presets import Preset, get_preset
from resilience_kit.exceptions import ConfigurationError

__all__ = [
    "AsyncTenacityKwargs",
    "TenacityKwargs",
    "backoff_wait",
    "retry_if_retryable",
    "tenacity_kwargs",
    "wait_retry_after",
]


class TenacityKwargs(TypedDict):
    """``tenacity.retry(**kwargs)`` for sync functions: typed, so the decorator keeps signatures."""

    retry: retry_base
    wait: wait_base
    stop: stop_base
    sleep: Callable[[float], None]
    reraise: bool


class AsyncTenacityKwargs(TypedDict):
    """``tenacity.retry(**kwargs)`` / ``AsyncRetrying(**kwargs)`` for ``async def`` functions."""

    retry: retry_base
    wait: wait_base
    stop: stop_base
    sleep: Callable[[float], Awaitable[None]]
    reraise: bool


class retry_if_retryable(retry_base):  # noqa: N801 - tenacity's naming style
    """Retry when ``classify(exc)`` says retryable and the category is in *retry_on*.

    With *max_retry_after*, a failure whose server hint is longer is not retried.
    """

    def __init__(
        self,
        retry_on: Iterable[ErrorCategory] = RETRYABLE_CATEGORIES,
        *,
        max_retry_after: float | None = None,
    ) -> None:
        self.retry_on: frozenset[ErrorCategory] = frozenset(ErrorCategory(c) for c in retry_on)
        if max_retry_after is not None and max_retry_after < 0:
            raise ConfigurationError("max_retry_after", "must be seconds >= 0")
        self.max_retry_after = max_retry_after

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is None or not outcome.failed:
            return False
        exc = outcome.exception()
        if not isinstance(exc, Exception):
            return False
        found = classify_once(exc)
        if not (found.retryable and found.category in self.retry_on):
            return False
        hint = found.retry_after
        return self.max_retry_after is None or hint is None or hint <= self.max_retry_after


class wait_retry_after(wait_base):  # noqa: N801 - tenacity's naming style
    """Wait the server's hint (``Retry-After``), capped at *max_retry_after*; else *fallback*."""

    def __init__(
        self,
        fallback: tenacity.wait.WaitBaseT | None = None,
        *,
        max_retry_after: float | None = None,
    ) -> None:
        self.fallback: tenacity.wait.WaitBaseT = (
            fallback if fallback is not None else backoff_wait(RetryPolicy())
        )
        self.max_retry_after = max_retry_after

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is not None and outcome.failed:
            exc = outcome.exception()
            if exc is not None:
                hint = classify_once(exc).retry_after
                if hint is not None:
                    if self.max_retry_after is not None:
                        hint = min(hint, self.max_retry_after)
                    return max(hint, 0.0)
        return float(self.fallback(retry_state))


def backoff_wait(policy: RetryPolicy) -> wait_base:
    """Exponential backoff capped at ``max_wait``, plus uniform jitter added after the cap."""
    capped = tenacity.wait_exponential(
        multiplier=policy.initial_wait, max=policy.max_wait, exp_base=policy.exp_base, min=0
    )
    if policy.jitter > 0:
        return capped + tenacity.wait_random(0, policy.jitter)
    return capped


@overload
def tenacity_kwargs(
    preset: Preset | RetryPolicy = ..., *, asynchronous: Literal[False] = ...
) -> TenacityKwargs: ...
@overload
def tenacity_kwargs(
    preset: Preset | RetryPolicy = ..., *, asynchronous: Literal[True]
) -> AsyncTenacityKwargs: ...
def tenacity_kwargs(
    preset: Preset | RetryPolicy = "default", *, asynchronous: bool = False
) -> TenacityKwargs | AsyncTenacityKwargs:
    """Keyword arguments for ``tenacity.retry``/``Retrying`` implementing *preset*.

    Uses the kit's sleep (so ``testing.no_wait()`` applies; pass ``asynchronous=True`` for
    ``async def`` functions and ``AsyncRetrying``) and re-raises the original exception.
    """
    policy = preset if isinstance(preset, RetryPolicy) else get_preset(preset)
    max_hint = policy.max_retry_after if policy.respect_retry_after else None
    stop: stop_base = tenacity.stop_after_attempt(policy.max_attempts)
    if policy.deadline is not None:
        stop = stop | tenacity.stop_before_delay(policy.deadline)
    wait: wait_base = backoff_wait(policy)
    if policy.respect_retry_after:
        wait = wait_retry_after(wait, max_retry_after=max_hint)
    retry = retry_if_retryable(policy.retry_on, max_retry_after=max_hint)
    if asynchronous:
        return AsyncTenacityKwargs(
            retry=retry, wait=wait, stop=stop, sleep=_clock.async_sleep, reraise=True
        )
    return TenacityKwargs(retry=retry, wait=wait, stop=stop, sleep=_clock.sleep, reraise=True)
