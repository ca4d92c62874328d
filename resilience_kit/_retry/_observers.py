"""The seam other features plug into the retry core: budgets, user hooks, metrics.

A `RetryObserver` is told about every attempt, scheduled retry, give-up and success of a
``@retry``-decorated call, and may veto a retry (a retry budget does). Observers come from two
places: the ``observers`` a decorator was built with, and the process-wide list
(`add_observer()`) snapshotted when a decorator is built. Observer errors never break a call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from resilience_kit._classify import Classification
from resilience_kit._events import emit

__all__ = [
    "AttemptRecord",
    "Outcome",
    "RetryObserver",
    "add_observer",
    "afirst_veto",
    "first_veto",
    "global_observers",
    "notify",
]


Outcome: TypeAlias = Literal["retry", "give_up", "success"]
"""What happened to an attempt: another attempt follows, the call gives up, or it succeeded."""


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One moment in the life of a retried call, as observers and lifecycle hooks see it (never
    the call's arguments)."""

    function: str
    """The decorated function's ``__qualname__``."""
    attempt: int
    """The attempt just finished (1-based)."""
    elapsed: float
    """Seconds since the call started (all attempts and waits so far)."""
    wait: float
    """Seconds until the next attempt (``on_retry``); 0.0 otherwise."""
    classification: Classification | None
    """Why the attempt failed; None for ``on_success``."""
    outcome: Outcome
    """``"retry"``, ``"give_up"`` or ``"success"``."""
    reason: str = ""
    """``server_hint``/``backoff`` for a retry; the give-up reason code (``max_attempts``,
    ``not_retryable``, ``deadline``, ...) for a give-up; empty for a success."""
    detail: str = ""
    """A give-up's explanation in words; empty otherwise."""

    def log_fields(self) -> dict[str, Any]:
        """The structlog fields shared by the ``retry_*`` events."""
        c = self.classification
        return {
            "function": self.function,
            "attempt": self.attempt,
            "wait": round(self.wait, 6),
            "reason": self.reason,
            "elapsed": round(self.elapsed, 6),
            "category": None if c is None else c.category.value,
            "status": None if c is None else c.status_code,
            "provider": None if c is None else c.provider,
            "request_id": None if c is None else c.request_id,
        }


class RetryObserver:
    """Base class: override what you need. Called synchronously in the calling thread or task.

    Reasons: ``on_retry_scheduled`` gets ``"server_hint"`` or ``"backoff"``; ``on_give_up`` gets
    one of ``not_retryable``, ``max_attempts``, ``deadline``, ``retry_after_too_long``,
    ``after_first_item`` or the reason a veto returned (e.g. ``budget_exhausted``).
    """

    #: Set to True to receive ``before_attempt`` (skipped otherwise to keep calls cheap).
    wants_before_attempt: bool = False

    def before_attempt(self, function: str, attempt: int) -> None:
        """Attempt number *attempt* (1-based) of *function* is about to start."""

    def veto_retry(self, event: AttemptRecord) -> str | None:
        """Return a reason code to give up instead of the retry described by *event*."""
        return None

    async def abefore_attempt(self, function: str, attempt: int) -> None:
        """`before_attempt()` for ``async def`` functions (by default: the sync method)."""
        self.before_attempt(function, attempt)

    async def aveto_retry(self, event: AttemptRecord) -> str | None:
        """`veto_retry()` for ``async def`` functions (by default: the sync method)."""
        return self.veto_retry(event)

    def on_retry_scheduled(self, event: AttemptRecord) -> None:
        """A retry will start after ``event.wait`` seconds."""

    def on_give_up(self, event: AttemptRecord) -> None:
        """The call failed for good; the original exception is being re-raised."""

    def on_success(self, event: AttemptRecord) -> None:
        """The call returned (``event.attempt`` attempts were made)."""


_global: list[RetryObserver] = []
_lock = threading.Lock()


def add_observer(observer: RetryObserver) -> Callable[[], None]:
    """Observe every ``@retry`` decorator built from now on; returns a function that removes it."""
    with _lock:
        _global.append(observer)

    def remove() -> None:
        with _lock:
            if observer in _global:
                _global.remove(observer)

    return remove


def global_observers() -> tuple[RetryObserver, ...]:
    """A snapshot of the process-wide observers."""
    with _lock:
        return tuple(_global)


def notify(
    observers: tuple[RetryObserver, ...], method: str, event: AttemptRecord
) -> None:  # pragma: no branch - tiny loop
    """Call *method* on every observer; an observer's error is logged, never raised."""
    for observer in observers:
        try:
            getattr(observer, method)(event)
        except Exception as exc:  # noqa: PERF203 - an observer must never break the user's call
            emit(
                "retry_observer_failed",
                level="warning",
                observer=type(observer).__name__,
                method=method,
                error=type(exc).__name__,
            )


def first_veto(observers: tuple[RetryObserver, ...], event: AttemptRecord) -> str | None:
    """The first reason an observer gives to veto the retry in *event*, or None."""
    for observer in observers:
        try:
            reason = observer.veto_retry(event)
        except Exception as exc:  # a broken veto does not block retries
            _veto_failed(observer, exc)
            continue
        if reason:
            return reason
    return None


async def afirst_veto(observers: tuple[RetryObserver, ...], event: AttemptRecord) -> str | None:
    """`first_veto()` on the observers' async path (``async def`` functions)."""
    for observer in observers:
        try:
            reason = await observer.aveto_retry(event)
        except Exception as exc:  # a broken veto does not block retries
            _veto_failed(observer, exc)
            continue
        if reason:
            return reason
    return None


def _veto_failed(observer: RetryObserver, exc: Exception) -> None:
    emit(
        "retry_observer_failed",
        level="warning",
        observer=type(observer).__name__,
        method="veto_retry",
        error=type(exc).__name__,
    )
