"""The kit's retry decisions as tenacity strategies, each doing one job.

- `retry_if_retryable` (tenacity's ``retry=``): is the failure's classification retryable under
  the policy's ``retry_on``?
- `wait_for_policy` (``wait=``): the server's hint (``Retry-After``, capped) or the policy's
  backoff (`backoff_wait`, the one formula: ``RetryPolicy.backoff_range``), and, when the policy
  waits for an open circuit, until the circuit half-opens.
- `stop_on_plan` (``stop=``): give up when `plan_wait` says so (attempts used up, a hint longer
  than ``max_retry_after``, a circuit that refuses calls longer than the policy waits, a wait
  that would end past the deadline or the call's bounds).

``@retry`` runs tenacity's own loop with these strategies (plus its observers' vetoes), and
``tenacity_kwargs()`` hands the same ones to plain tenacity, so both make the same decisions.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

import tenacity
from tenacity.retry import retry_base
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from resilience_kit import _call, _clock, _waits
from resilience_kit._categories import RETRYABLE_CATEGORIES, ErrorCategory
from resilience_kit._classify import Classification, classify_once
from resilience_kit._retry._overrides import retry_categories
from resilience_kit._retry._presets import policy_type
from resilience_kit.exceptions import ConfigurationError

if TYPE_CHECKING:
    from resilience_kit._retry._policy import RetryPolicy

__all__ = [
    "WaitPlan",
    "backoff_wait",
    "failure_of",
    "not_retried_because",
    "plan_wait",
    "retry_if_retryable",
    "stop_on_plan",
    "wait_for_policy",
    "wait_retry_after",
]


def failure_of(retry_state: tenacity.RetryCallState) -> BaseException | None:
    """The exception that ended the attempt, or None after a result."""
    outcome = retry_state.outcome
    if outcome is None or not outcome.failed:
        return None
    return outcome.exception()


def refusal(retry_on: frozenset[ErrorCategory], found: Classification) -> str | None:
    """Why a failure classified as *found* is never retried under *retry_on*; None if it may be."""
    if not found.retryable:
        return f"{found.category.value} is not retryable"
    # retry_on chooses among the categories retryable by default; a failure retryable outside
    # them (x-should-retry: true on a 400/401/404, or a user map saying so) is retried as the
    # SDKs retry it.
    if found.category not in retry_on and found.category in RETRYABLE_CATEGORIES:
        return f"{found.category.value} is not in retry_on"
    return None


def _asker(found: Classification | None) -> str:
    """Who asked for a wait: the server, or one of the kit's own tools (a gate, a token limiter)."""
    if found is not None and found.provider == "resilience_kit":
        return "the kit's rate limit (gate or token limiter)"
    return "the server"


def not_retried_because(policy: RetryPolicy, found: Classification) -> str | None:
    """Why a failure classified as *found* is never retried under *policy*; None if it may be."""
    return refusal(policy.retry_on, found)


class WaitPlan(NamedTuple):
    """What happens after failed attempt *n*: wait *wait* seconds, or give up (``wait is None``).

    *reason* is ``server_hint``, ``backoff`` or ``circuit_open`` for a wait, else the give-up
    reason code (``max_attempts``, ``retry_after_too_long``, ``circuit_open``, ``deadline``) with
    *detail* saying why.
    """

    wait: float | None
    reason: str
    detail: str = ""


def plan_wait(
    policy: RetryPolicy,
    found: Classification | None,
    attempt: int,
    elapsed: float,
    backoff: Callable[[], float],
) -> WaitPlan:
    """The wait after failed attempt *attempt* of a retryable failure, *elapsed* seconds in.

    The server's hint wins when the policy respects hints (beyond ``max_retry_after``: give up);
    otherwise *backoff()* is asked. A wait that would end past the deadline is never started.
    """
    if attempt >= policy.max_attempts:
        return WaitPlan(None, "max_attempts", f"max_attempts={policy.max_attempts} reached")
    hint = found.retry_after if found is not None and policy.respect_retry_after else None
    if hint is not None:
        if hint > policy.max_retry_after:
            return WaitPlan(
                None,
                "retry_after_too_long",
                f"{_asker(found)} asked to wait {hint:g}s, more than "
                f"max_retry_after={policy.max_retry_after:g}s",
            )
        wait, reason = max(hint, 0.0), "server_hint"
    else:
        wait, reason = float(backoff()), "backoff"
    if policy.deadline is not None and elapsed + wait > policy.deadline:
        return WaitPlan(
            None,
            "deadline",
            f"waiting {wait:.2f}s ({reason}) would end past the deadline of {policy.deadline:g}s",
        )
    return WaitPlan(wait, reason)


class retry_if_retryable(retry_base):  # noqa: N801 - tenacity's naming style
    """Retry when ``classify(exc)`` says retryable and the policy's *retry_on* allows it.

    *retry_on* chooses among the categories retryable by default; a failure retryable outside
    them (``x-should-retry: true`` on a 400) is retried, as the SDKs retry it. With
    *max_retry_after*, a failure whose server hint is longer is not retried. An empty *retry_on*,
    or one naming no category, is a ``ConfigurationError`` naming ``retry_on``.
    """

    def __init__(
        self,
        retry_on: Iterable[ErrorCategory | str] = RETRYABLE_CATEGORIES,
        *,
        max_retry_after: float | None = None,
    ) -> None:
        self.retry_on: frozenset[ErrorCategory] = retry_categories(retry_on)
        if max_retry_after is not None and max_retry_after < 0:
            raise ConfigurationError("max_retry_after", "must be seconds >= 0")
        self.max_retry_after = max_retry_after

    def why_not(self, exc: BaseException) -> str | None:
        """Why *exc* is not retried (None: it may be)."""
        if not isinstance(exc, Exception):  # cancellation, KeyboardInterrupt: never retried
            return f"{type(exc).__name__} is never retried"
        found = classify_once(exc)
        why = refusal(self.retry_on, found)
        if why is not None:
            return why
        hint = found.retry_after
        if self.max_retry_after is not None and hint is not None and hint > self.max_retry_after:
            return f"{_asker(found)} asked to wait {hint:g}s, more than {self.max_retry_after:g}s"
        return None

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        exc = failure_of(retry_state)
        return exc is not None and self.why_not(exc) is None


class backoff_wait(wait_base):  # noqa: N801 - tenacity's naming style
    """The policy's backoff after attempt *n*: ``RetryPolicy.backoff_range(n)``, with the jitter
    drawn uniformly from that range."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        low, high = self.policy.backoff_range(retry_state.attempt_number)
        return low if high <= low else random.uniform(low, high)


class wait_retry_after(wait_base):  # noqa: N801 - tenacity's naming style
    """Wait the server's hint (``Retry-After``), capped at *max_retry_after*; else *fallback*."""

    def __init__(
        self,
        fallback: tenacity.wait.WaitBaseT | None = None,
        *,
        max_retry_after: float | None = None,
    ) -> None:
        if fallback is None:
            fallback = backoff_wait(policy_type()())
        self.fallback: tenacity.wait.WaitBaseT = fallback
        self.max_retry_after = max_retry_after

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = failure_of(retry_state)
        if exc is not None:
            hint = classify_once(exc).retry_after
            if hint is not None:
                if self.max_retry_after is not None:
                    hint = min(hint, self.max_retry_after)
                return max(hint, 0.0)
        return float(self.fallback(retry_state))


def waits_for_circuit(policy: RetryPolicy, rejection: _call.Rejection) -> bool:
    """Whether *policy* waits until a circuit that refuses calls half-opens (``retry_on`` names
    ``circuit_open`` and the refusal is within ``max_retry_after``); otherwise it fails fast."""
    return (
        ErrorCategory.CIRCUIT_OPEN in policy.retry_on and rejection.left() <= policy.max_retry_after
    )


class wait_for_policy(wait_base):  # noqa: N801 - tenacity's naming style
    """The policy's wait: the server's hint when it respects hints (capped at
    ``max_retry_after``), else `backoff_wait`; at least until an open circuit half-opens when
    the policy waits for circuits (the breaker's rejection in the call's context)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        backoff = backoff_wait(policy)
        self.base: wait_base = (
            wait_retry_after(backoff, max_retry_after=policy.max_retry_after)
            if policy.respect_retry_after
            else backoff
        )

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        wait = self.base(retry_state)
        ctx = _call.current()
        rejection = None if ctx is None else ctx.rejection
        if rejection is not None and waits_for_circuit(self.policy, rejection):
            wait = max(wait, rejection.left())
        return wait


def elapsed(retry_state: tenacity.RetryCallState) -> float:
    """Seconds since the call started, on tenacity's clock plus, under ``no_wait()``, the
    virtual time this call slept: ``@retry`` and plain tenacity measure the deadline alike."""
    spent = time.monotonic() - retry_state.start_time
    return spent + retry_state.idle_for if _clock.overrides() else spent


class stop_on_plan(stop_base):  # noqa: N801 - tenacity's naming style
    """Give up when `plan_wait` does, when a breaker refuses calls longer than the policy waits
    (fail fast), or when the upcoming wait does not fit the call's bounds (the one wait rule)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def verdict(self, retry_state: tenacity.RetryCallState) -> WaitPlan:
        """The plan after the failed attempt: a wait, or why to give up."""
        policy = self.policy
        exc = failure_of(retry_state)
        found = None if exc is None else classify_once(exc)
        wait = retry_state.upcoming_sleep
        plan = plan_wait(policy, found, retry_state.attempt_number, 0.0, lambda: wait)
        if plan.wait is None:
            return plan
        ctx = _call.current()
        rejection = None if ctx is None else ctx.rejection
        if rejection is None:
            return self._bounded(WaitPlan(wait, plan.reason), retry_state, ctx)
        left = rejection.left()
        if wait >= left and waits_for_circuit(policy, rejection):
            plan = self._bounded(WaitPlan(wait, "circuit_open"), retry_state, ctx)
            if plan.wait is not None:
                return plan
        detail = f"circuit {rejection.name!r} rejects calls for {left:.2f}s more"
        return WaitPlan(None, "circuit_open", detail)

    def _bounded(
        self, plan: WaitPlan, retry_state: tenacity.RetryCallState, ctx: _call.CallContext | None
    ) -> WaitPlan:
        wait = plan.wait or 0.0
        deadline = self.policy.deadline
        if deadline is not None and elapsed(retry_state) + wait > deadline:
            return WaitPlan(
                None,
                "deadline",
                f"waiting {wait:.2f}s ({plan.reason}) would end past the deadline of {deadline:g}s",
            )
        limit = _waits.bound(ctx=ctx)
        if wait > limit.seconds:
            return WaitPlan(
                None,
                "deadline",
                f"waiting {wait:.2f}s ({plan.reason}) would end past {limit.describe()}",
            )
        return plan

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.verdict(retry_state).wait is None


class Strategies(NamedTuple):
    """The strategies implementing one policy (shared by ``@retry`` and ``tenacity_kwargs``)."""

    retry: retry_if_retryable
    wait: wait_for_policy
    stop: stop_on_plan


def strategies_for(policy: RetryPolicy) -> Strategies:
    """``retry=``, ``wait=`` and ``stop=`` for *policy*."""
    return Strategies(
        retry_if_retryable(policy.retry_on), wait_for_policy(policy), stop_on_plan(policy)
    )
