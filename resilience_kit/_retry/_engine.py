"""One decorated function's retry engine: tenacity controllers built from the kit's strategies,
and the reporting around them.

The decisions are the strategies of ``_strategies`` (``retry=``, ``wait=``, ``stop=``), shared
with ``tenacity_kwargs``. The engine adds what only ``@retry`` has: observers' vetoes (a retry
budget) asked last by ``stop=``, so a token is spent only on a retry that would otherwise
happen; ``before=`` for observers that count attempts; ``before_sleep=`` to report a scheduled
retry; and `Engine.gave_up` / `Engine.succeeded`, called by the loop when the call ends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import tenacity

from resilience_kit import _call, _clock
from resilience_kit._callables import add_note
from resilience_kit._classify import classify_once
from resilience_kit._events import emit
from resilience_kit._retry._observers import (
    AttemptRecord,
    RetryObserver,
    afirst_veto,
    first_veto,
    notify,
)
from resilience_kit._retry._statistics import Statistics
from resilience_kit._retry._strategies import (
    WaitPlan,
    elapsed,
    failure_of,
    not_retried_because,
    plan_wait,
    strategies_for,
)
from resilience_kit.exceptions import CircuitOpenError

__all__ = [
    "AsyncController",
    "Engine",
    "SyncController",
    "WaitPlan",
    "not_retried_because",
    "plan_wait",
]


class Verdict(NamedTuple):
    """Why a call gave up, recorded by the strategy that decided it."""

    reason: str
    detail: str
    attempts: int


class SyncController(tenacity.Retrying):
    """tenacity's ``Retrying`` carrying one call's facts for the kit's reporting."""

    rk_start: float
    rk_verdict: Verdict | None = None
    rk_reason: str = ""
    rk_last_error: BaseException | None = None


class AsyncController(tenacity.AsyncRetrying):
    """The ``AsyncRetrying`` twin of `SyncController`."""

    rk_start: float
    rk_verdict: Verdict | None = None
    rk_reason: str = ""
    rk_last_error: BaseException | None = None


Controller = SyncController | AsyncController


def _controller(retry_state: tenacity.RetryCallState) -> Controller:
    ctl: Any = retry_state.retry_object
    return ctl  # type: ignore[no-any-return]


def _vetoes(observer: RetryObserver) -> bool:
    """Whether *observer* overrides a veto method (only those are asked before a retry)."""
    kind = type(observer)
    return (
        kind.veto_retry is not RetryObserver.veto_retry
        or kind.aveto_retry is not RetryObserver.aveto_retry
    )


class Engine:
    """The tenacity strategies and the reporting of one decorated function."""

    def __init__(
        self,
        name: str,
        policy: Any,
        observers: tuple[RetryObserver, ...],
        *,
        is_async: bool,
        drain: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.name = name
        self.policy = policy
        self.observers = observers
        self.before_observers = tuple(o for o in observers if o.wants_before_attempt)
        self.vetoers = tuple(o for o in observers if _vetoes(o))
        self.drain = drain
        self.strategies = strategies = strategies_for(policy)
        self.kwargs: dict[str, Any] = {
            "retry": self.retry,
            "wait": strategies.wait,
            "stop": self.astop if is_async else self.stop,
            "before": None,
            "before_sleep": self.abefore_sleep if is_async else self.before_sleep,
            "reraise": True,
            "sleep": _clock.async_sleep if is_async else _clock.sleep,
        }
        if self.before_observers:
            self.kwargs["before"] = self.abefore if is_async else self.before
        self.controller_class: type[Controller] = AsyncController if is_async else SyncController
        self.template: Controller = self.controller_class(**self.kwargs)
        self.stats = Statistics()

    def start(self) -> Any:
        """A fresh controller for one call (its statistics become the function's)."""
        ctl = self.controller_class(**self.kwargs)
        ctl.rk_start = _clock.monotonic()
        self.stats.set(ctl.statistics)
        return ctl

    # --- retry= --------------------------------------------------------------------------------

    def retry(self, retry_state: tenacity.RetryCallState) -> bool:
        """Is the failure retryable under the policy? (A result is never retried.)"""
        exc = failure_of(retry_state)
        if not isinstance(exc, Exception):  # a result, or cancellation: not ours to retry
            return False
        ctl = _controller(retry_state)
        if isinstance(exc, CircuitOpenError):
            if exc.__cause__ is None and ctl.rk_last_error is not None:
                exc.__cause__ = ctl.rk_last_error  # the provider's error stays in the chain
        else:
            ctl.rk_last_error = exc
        why = self.strategies.retry.why_not(exc)
        if why is None:
            return True
        ctl.rk_verdict = Verdict("not_retryable", why, retry_state.attempt_number)
        return False

    # --- stop= ---------------------------------------------------------------------------------

    def _plan(self, retry_state: tenacity.RetryCallState) -> WaitPlan:
        """The plan's verdict, recorded: a give-up for the report, a wait's reason for the event."""
        plan = self.strategies.stop.verdict(retry_state)
        ctl = _controller(retry_state)
        if plan.wait is None:
            ctl.rk_verdict = Verdict(plan.reason, plan.detail, retry_state.attempt_number)
        else:
            ctl.rk_reason = plan.reason
        return plan

    def _vetoed(self, retry_state: tenacity.RetryCallState, veto: str | None) -> bool:
        if not veto:
            return False
        _controller(retry_state).rk_verdict = Verdict(
            veto, f"retry refused: {veto}", retry_state.attempt_number
        )
        return True

    def stop(self, retry_state: tenacity.RetryCallState) -> bool:
        """Give up when the plan says so, then (last, so that a token is spent only on a retry
        that would otherwise happen) when an observer vetoes the retry."""
        plan = self._plan(retry_state)
        if plan.wait is None:
            return True
        if not self.vetoers:
            return False
        event = self._record(retry_state, "retry", plan.reason, plan.wait)
        return self._vetoed(retry_state, first_veto(self.vetoers, event))

    async def astop(self, retry_state: tenacity.RetryCallState) -> bool:
        """`stop()` for ``async def`` functions: vetoes are asked on their async path."""
        plan = self._plan(retry_state)
        if plan.wait is None:
            return True
        if not self.vetoers:
            return False
        event = self._record(retry_state, "retry", plan.reason, plan.wait)
        return self._vetoed(retry_state, await afirst_veto(self.vetoers, event))

    # --- before= / before_sleep= ---------------------------------------------------------------

    def before(self, retry_state: tenacity.RetryCallState) -> None:
        """Tell the observers that want it that an attempt starts."""
        for observer in self.before_observers:
            try:
                observer.before_attempt(self.name, retry_state.attempt_number)
            except Exception:  # noqa: PERF203 - an observer must never break the user's call
                emit("retry_observer_failed", level="warning", method="before_attempt")

    async def abefore(self, retry_state: tenacity.RetryCallState) -> None:
        """`before()` on the observers' async path."""
        for observer in self.before_observers:
            try:
                await observer.abefore_attempt(self.name, retry_state.attempt_number)
            except Exception:  # noqa: PERF203 - an observer must never break the user's call
                emit("retry_observer_failed", level="warning", method="before_attempt")

    def before_sleep(self, retry_state: tenacity.RetryCallState) -> None:
        """A retry is scheduled: tell the observers and hooks, then log it."""
        event = self._scheduled(retry_state)
        if self.observers:
            notify(self.observers, "on_retry_scheduled", event)
            self._check_late(retry_state)
        self._announce(event)

    async def abefore_sleep(self, retry_state: tenacity.RetryCallState) -> None:
        """`before_sleep()` for ``async def`` functions: async hooks are awaited here."""
        event = self._scheduled(retry_state)
        if self.observers:
            notify(self.observers, "on_retry_scheduled", event)
            if self.drain is not None:
                await self.drain()
            self._check_late(retry_state)
        self._announce(event)

    def _scheduled(self, retry_state: tenacity.RetryCallState) -> AttemptRecord:
        reason = _controller(retry_state).rk_reason
        return self._record(retry_state, "retry", reason, retry_state.upcoming_sleep)

    def _announce(self, event: AttemptRecord) -> None:
        emit("retry_scheduled", level="warning", **event.log_fields())
        ctx = _call.current()
        if ctx is not None:
            ctx.next_attempt()

    def _check_late(self, retry_state: tenacity.RetryCallState) -> None:
        """After the hooks ran: give up, re-raising the attempt's exception, when the wait would
        now end past the deadline."""
        wait = retry_state.upcoming_sleep
        deadline = self.policy.deadline
        spent = _clock.monotonic() - _controller(retry_state).rk_start  # the wait is not slept yet
        if deadline is None or spent + wait <= deadline:
            return
        _controller(retry_state).rk_verdict = Verdict(
            "deadline",
            f"after the retry hooks ran, waiting {wait:.2f}s would end past the deadline of "
            f"{deadline:g}s",
            retry_state.attempt_number,
        )
        exc = failure_of(retry_state)
        if exc is not None:
            raise exc

    # --- the end of a call ---------------------------------------------------------------------

    def _record(
        self, retry_state: tenacity.RetryCallState, outcome: Any, reason: str, wait: float
    ) -> AttemptRecord:
        exc = failure_of(retry_state)
        return AttemptRecord(
            self.name,
            retry_state.attempt_number,
            elapsed(retry_state),
            wait,
            None if exc is None else classify_once(exc),
            outcome,
            reason,
        )

    def gave_up(self, ctl: Controller, exc: BaseException) -> BaseException:
        """The loop ended with *exc*: note why, tell observers, log; the exception to raise."""
        verdict = ctl.rk_verdict
        if verdict is None:  # not a decision of ours (a failing hook): re-raise untouched
            return exc
        reason, detail, attempts = verdict
        spent = _clock.monotonic() - ctl.rk_start
        ctl.statistics["give_up_reason"] = reason
        add_note(
            exc,
            f"resilience_kit.retry: gave up on {self.name} after {attempts} "
            f"attempt{'s' if attempts != 1 else ''} in {spent:.2f}s: {detail}",
        )
        event = AttemptRecord(
            self.name, attempts, spent, 0.0, classify_once(exc), "give_up", reason, detail
        )
        if self.observers:
            notify(self.observers, "on_give_up", event)
        level = "info" if reason == "not_retryable" else "warning"
        emit("retry_gave_up", level=level, detail=detail, **event.log_fields())
        ctx = _call.current()
        rejection = None if ctx is None else ctx.rejection
        if reason == "circuit_open" and rejection is not None:
            error = rejection.error
            add_note(error, f"resilience_kit.retry: gave up on {self.name}: {detail}")
            error.__cause__ = exc
            return error
        return exc

    def succeeded(self, ctl: Controller, attempts: int) -> None:
        """The call returned after *attempts* attempts: tell the observers (metrics among them);
        log a success after a retry."""
        event = AttemptRecord(
            self.name, attempts, _clock.monotonic() - ctl.rk_start, 0.0, None, "success"
        )
        notify(self.observers, "on_success", event)
        if attempts > 1:
            emit("retry_succeeded", **event.log_fields())

    def stream_failed(self, exc: BaseException, attempts: int, start: float) -> None:
        """A generator failed after yielding output: not retried, say so."""
        detail = "the stream failed after yielding output; not retried to avoid duplicates"
        spent = _clock.monotonic() - start
        add_note(exc, f"resilience_kit.retry: {self.name}: {detail}")
        found = classify_once(exc)
        event = AttemptRecord(
            self.name, attempts, spent, 0.0, found, "give_up", "after_first_item", detail
        )
        if self.observers:
            notify(self.observers, "on_give_up", event)
        emit("retry_gave_up", level="warning", detail=detail, **event.log_fields())
