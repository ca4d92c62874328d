"""The tenacity strategies behind ``@retry`` and the per-call state they share.

One `Engine` per decorated function holds the retry predicate, wait and stop strategies.
Every call that reaches tenacity runs a fresh controller carrying a `Call` (start time,
last classification, give-up decision), so concurrent calls never share state. The wait strategy
makes every decision (server hint, backoff, deadline, observers' vetoes); the stop strategy only
reads it. tenacity re-raises the original exception (``reraise=True``); the note explaining why
was added before.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar

import tenacity

from resilience_kit import _clock
from resilience_kit._callables import add_note
from resilience_kit._categories import RETRYABLE_CATEGORIES, ErrorCategory
from resilience_kit._classify import Classification, classify_once, forget
from resilience_kit._events import emit
from resilience_kit._retry._observers import (
    AttemptRecord,
    RetryObserver,
    first_veto,
    notify,
)
from resilience_kit._retry._policy import RetryPolicy
from resilience_kit._retry._tenacity import backoff_wait
from resilience_kit.exceptions import CircuitOpenError, rejects_next

__all__ = [
    "Call",
    "Engine",
    "Statistics",
    "StatisticsView",
    "WaitPlan",
    "SyncController",
    "AsyncController",
    "first_try_statistics",
    "not_retried_because",
    "plan_wait",
    "replay",
    "replay_async",
]

T = TypeVar("T")


class Call:
    """Per-call state shared by the tenacity strategies of one call."""

    __slots__ = ("classification", "gave_up", "last_error", "replayed", "start")

    def __init__(self, start: float, *, replayed: bool = False) -> None:
        self.start = start
        self.replayed = replayed  # attempt 1 ran on the fast path and is replayed to tenacity
        self.classification: Classification | None = None
        self.gave_up = False
        self.last_error: BaseException | None = None  # the last failure that was not a rejection


def not_retried_because(policy: RetryPolicy, found: Classification) -> str | None:
    """Why a failure classified as *found* is never retried under *policy*; None if it may be."""
    if not found.retryable:
        return f"{found.category.value} is not retryable"
    # retry_on chooses among the categories retryable by default; a failure retryable outside
    # them (x-should-retry: true on a 400/401/404, or a user map saying so) is retried as the
    # SDKs retry it.
    if found.category not in policy.retry_on and found.category in RETRYABLE_CATEGORIES:
        return f"{found.category.value} is not in retry_on"
    return None


class WaitPlan(NamedTuple):
    """What happens after failed attempt *n*: wait *wait* seconds, or give up (``wait is None``).

    *reason* is ``server_hint`` or ``backoff`` for a wait, else the give-up reason code
    (``max_attempts``, ``retry_after_too_long``, ``deadline``) with *detail* saying why.
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
                f"the server asked to wait {hint:g}s, more than "
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


class SyncController(tenacity.Retrying):
    rk_call: Call


class AsyncController(tenacity.AsyncRetrying):
    rk_call: Call


def _call_of(retry_state: tenacity.RetryCallState) -> Call:
    controller: Any = retry_state.retry_object
    call: Call | None = getattr(controller, "rk_call", None)
    if call is None:  # the template used directly (``for attempt in fn.retry: ...``)
        call = controller.rk_call = Call(_clock.monotonic())
    return call


class Engine:
    """The tenacity strategies of one decorated function."""

    def __init__(self, name: str, policy: RetryPolicy, observers: tuple[RetryObserver, ...]):
        self.name = name
        self.policy = policy
        self.observers = observers
        self.before_observers = tuple(o for o in observers if o.wants_before_attempt)
        self.backoff = backoff_wait(policy)

    def tenacity_kwargs(self) -> dict[str, Any]:
        return {
            "retry": self.should_retry,
            "wait": self.wait,
            "stop": self.stop,
            "before": self.before if self.before_observers else None,
            "reraise": True,
        }

    def before(self, retry_state: tenacity.RetryCallState) -> None:
        attempt = retry_state.attempt_number
        if attempt > 1 or not _call_of(retry_state).replayed:
            self.before_attempt(attempt)

    def before_attempt(self, attempt: int) -> None:
        """Tell the observers that want it that attempt *attempt* starts."""
        for observer in self.before_observers:
            try:
                observer.before_attempt(self.name, attempt)
            except Exception:  # noqa: PERF203 - an observer must never break the user's call
                emit("retry_observer_failed", level="warning", method="before_attempt")

    def should_retry(self, retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if exc is None:
            if retry_state.attempt_number > 1 or self.observers:
                self._succeeded(retry_state)
            return False
        if not isinstance(exc, Exception):  # cancellation, KeyboardInterrupt: not our business
            return False
        call = _call_of(retry_state)
        if isinstance(exc, CircuitOpenError):
            if exc.__cause__ is None and call.last_error is not None:
                exc.__cause__ = call.last_error  # the provider's error stays in the chain
        else:
            call.last_error = exc
        found = call.classification = classify_once(exc)
        why = not_retried_because(self.policy, found)
        if why is None:
            return True
        self._give_up(retry_state, exc, "not_retryable", why)
        return False

    def wait(self, retry_state: tenacity.RetryCallState) -> float:
        call = _call_of(retry_state)
        found = call.classification
        attempt = retry_state.attempt_number
        policy = self.policy
        exc = retry_state.outcome.exception() if retry_state.outcome is not None else None
        if exc is None:  # pragma: no cover - tenacity only waits after a failure
            return 0.0
        elapsed = _clock.monotonic() - call.start
        plan = plan_wait(policy, found, attempt, elapsed, lambda: float(self.backoff(retry_state)))
        if plan.wait is None:
            return self._give_up(retry_state, exc, plan.reason, plan.detail)
        wait, reason = plan.wait, plan.reason
        rejection = rejects_next(exc)
        if rejection is not None and wait < rejection.retry_after:
            wait, reason = self._until_half_open(retry_state, exc, rejection, elapsed)
        event = AttemptRecord(self.name, attempt, elapsed, wait, found, "retry", reason)
        if self.observers:
            veto = first_veto(self.observers, event)
            if veto is not None:
                return self._give_up(retry_state, exc, veto, f"retry refused: {veto}")
            notify(self.observers, "on_retry_scheduled", event)
            if self.past_deadline(call, wait):  # slow hooks/observers used up the time left
                return self._give_up_late(retry_state, exc, wait)
        emit("retry_scheduled", level="warning", **event.log_fields())
        forget(exc)  # a reused exception object raised by the next attempt is judged afresh
        return wait

    def past_deadline(self, call: Call, wait: float) -> bool:
        """Whether waiting *wait* seconds from now would end past the call's deadline."""
        deadline = self.policy.deadline
        return deadline is not None and _clock.monotonic() - call.start + wait > deadline

    def _give_up_late(
        self, retry_state: tenacity.RetryCallState, exc: BaseException, wait: float
    ) -> float:
        return self._give_up(
            retry_state,
            exc,
            "deadline",
            f"after the retry hooks ran, waiting {wait:.2f}s would end past the deadline of "
            f"{self.policy.deadline:g}s",
        )

    def check_after_hooks(self, retry_state: tenacity.RetryCallState) -> None:
        """After async hooks were awaited (tenacity's ``before_sleep``): give up, re-raising the
        attempt's exception, when the wait would now end past the deadline."""
        exc = retry_state.outcome.exception() if retry_state.outcome is not None else None
        wait = retry_state.upcoming_sleep
        if exc is not None and self.past_deadline(_call_of(retry_state), wait):
            self._give_up_late(retry_state, exc, wait)
            raise exc

    def _until_half_open(
        self,
        retry_state: tenacity.RetryCallState,
        exc: BaseException,
        rejection: CircuitOpenError,
        elapsed: float,
    ) -> tuple[float, str]:
        """The breaker that judged *exc* rejects calls for ``rejection.retry_after`` seconds.

        Fail fast (the default): give up now, raising *rejection* with *exc* as its cause,
        instead of sleeping into a certain rejection. A policy whose ``retry_on`` names
        ``circuit_open`` waits exactly until the circuit half-opens, if that wait is within
        ``max_retry_after`` and the deadline.
        """
        policy = self.policy
        wait = rejection.retry_after
        fits = policy.deadline is None or elapsed + wait <= policy.deadline
        if (
            ErrorCategory.CIRCUIT_OPEN in policy.retry_on
            and wait <= policy.max_retry_after
            and fits
        ):
            return wait, "circuit_open"
        detail = f"circuit {rejection.name!r} rejects calls for {wait:.2f}s more"
        self._give_up(retry_state, exc, "circuit_open", detail)
        add_note(rejection, f"resilience_kit.retry: gave up on {self.name}: {detail}")
        raise rejection from exc

    def stop(self, retry_state: tenacity.RetryCallState) -> bool:
        return _call_of(retry_state).gave_up

    def _give_up(
        self, retry_state: tenacity.RetryCallState, exc: BaseException, reason: str, detail: str
    ) -> float:
        call = _call_of(retry_state)
        call.gave_up = True
        attempts = retry_state.attempt_number
        elapsed = _clock.monotonic() - call.start
        retry_state.retry_object.statistics["give_up_reason"] = reason
        add_note(
            exc,
            f"resilience_kit.retry: gave up on {self.name} after {attempts} "
            f"attempt{'s' if attempts != 1 else ''} in {elapsed:.2f}s: {detail}",
        )
        event = AttemptRecord(
            self.name, attempts, elapsed, 0.0, call.classification, "give_up", reason, detail
        )
        if self.observers:
            notify(self.observers, "on_give_up", event)
        level = "info" if reason == "not_retryable" else "warning"
        emit("retry_gave_up", level=level, detail=detail, **event.log_fields())
        return 0.0

    def _succeeded(self, retry_state: tenacity.RetryCallState) -> None:
        self.succeeded(retry_state.attempt_number, _call_of(retry_state).start)

    def succeeded(self, attempts: int, start: float) -> None:
        """The call returned after *attempts* attempts."""
        event = AttemptRecord(self.name, attempts, _clock.monotonic() - start, 0.0, None, "success")
        if self.observers:
            notify(self.observers, "on_success", event)
        if attempts > 1:
            emit("retry_succeeded", **event.log_fields())

    def stream_failed(self, exc: BaseException, attempts: int, start: float) -> None:
        """A generator failed after yielding output: not retried, say so."""
        detail = "the stream failed after yielding output; not retried to avoid duplicates"
        elapsed = _clock.monotonic() - start
        add_note(exc, f"resilience_kit.retry: {self.name}: {detail}")
        found = classify_once(exc)
        event = AttemptRecord(
            self.name, attempts, elapsed, 0.0, found, "give_up", "after_first_item", detail
        )
        if self.observers:
            notify(self.observers, "on_give_up", event)
        emit("retry_gave_up", level="warning", detail=detail, **event.log_fields())


# The statistics of every decorated function's most recent call, per thread/task: one ContextVar
# for the whole kit (a ContextVar per decoration would stay in every thread's context for the
# life of the thread). Its value is a dict {decoration serial: statistics}, replaced (never
# mutated) on each call so that tasks copied from a context never share it; entries of
# decorations that were garbage-collected are dropped when the dict grows past twice the live
# decorations, so what a context retains is bounded by live decorated functions.
_STATS: ContextVar[dict[int, dict[str, Any]]] = ContextVar("resilience_kit.retry.statistics")
_live: set[int] = set()
_serials = itertools.count(1)
_cap = [16]  # prune a context's dict when it reaches this size: twice the live decorations + 16


def _forget(serial: int) -> None:
    _live.discard(serial)
    _cap[0] = 2 * len(_live) + 16


class Statistics:
    """One decorated function's slot in the kit's statistics ContextVar."""

    __slots__ = ("__weakref__", "serial")

    def __init__(self) -> None:
        self.serial = serial = next(_serials)
        _live.add(serial)
        _cap[0] = 2 * len(_live) + 16
        weakref.finalize(self, _forget, serial)

    def set(self, value: dict[str, Any]) -> None:
        """Make *value* this function's statistics in the current thread/task."""
        current = _STATS.get(None)
        serial = self.serial
        if current is None or (len(current) == 1 and serial in current):
            _STATS.set({serial: value})  # the common case: one function called over and over
            return
        if len(current) < _cap[0]:
            fresh = current.copy()
        else:  # drop the entries of collected decorations
            fresh = {serial: stats for serial, stats in current.items() if serial in _live}
        fresh[serial] = value
        _STATS.set(fresh)

    def get(self) -> dict[str, Any]:
        current = _STATS.get(None)
        return {} if current is None else current.get(self.serial, {})


class StatisticsView(Mapping[str, Any]):
    """Live view of the current thread's/task's most recent call statistics."""

    __slots__ = ("_slot",)

    def __init__(self, slot: Statistics) -> None:
        self._slot = slot

    def _current(self) -> dict[str, Any]:
        return self._slot.get()

    def __getitem__(self, key: str) -> Any:
        return self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._current()))

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return f"RetryStatistics({self._current()!r})"


def first_try_statistics(start: float) -> dict[str, Any]:
    """tenacity's statistics for a call that succeeded at the first attempt (the fast path)."""
    return {"start_time": start, "attempt_number": 1, "idle_for": 0, "delay_since_first_attempt": 0}


def replay(first: BaseException, attempt: Callable[..., T]) -> Callable[..., T]:
    """*attempt*, except that its first call re-raises *first* (an attempt already made)."""
    pending = [first]

    def again(*args: Any, **kwargs: Any) -> T:
        if pending:
            raise pending.pop()
        return attempt(*args, **kwargs)

    return again


def replay_async(
    first: BaseException, attempt: Callable[..., Awaitable[T]]
) -> Callable[..., Awaitable[T]]:
    """The async form of `replay()`."""
    pending = [first]

    async def again(*args: Any, **kwargs: Any) -> T:
        if pending:
            raise pending.pop()
        return await attempt(*args, **kwargs)

    return again
