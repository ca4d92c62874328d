"""Feeds one ``@retry``-decorated function's events into its metrics recorder.

``@retry`` builds one `MetricsObserver` per decorated function while metrics are enabled
(decorators built while disabled carry none). Retries, give-ups and successes after a retry
arrive as observer events; a first-attempt success takes the cheap `record_first()` path
instead (the retry core calls it directly, without building an event).
"""

from __future__ import annotations

from collections.abc import Callable

from resilience_kit._retry._observers import AttemptRecord, RetryObserver
from resilience_kit.metrics import _core as _metrics
from resilience_kit.metrics import _fast
from resilience_kit.metrics._state import STATE

__all__ = ["MetricsObserver", "first_success_handler", "first_success_parts", "observer_for"]


class MetricsObserver(RetryObserver):
    """Counts attempts, retries, outcomes and latency of one decorated function."""

    def __init__(self, name: str) -> None:
        self.recorder = _metrics.function(name)

    def on_retry_scheduled(self, event: AttemptRecord) -> None:
        c = event.classification
        self.recorder.retried(None if c is None else c.category)

    def on_give_up(self, event: AttemptRecord) -> None:
        c = event.classification
        category = None if c is None else c.category
        if event.reason == "after_first_item":
            self.recorder.failed_after_output(category)
        else:
            self.recorder.gave_up_after(event.attempt, event.elapsed, category, event.reason)

    def on_success(self, event: AttemptRecord) -> None:
        if event.attempt > 1:  # first-attempt successes were counted by record_first
            self.recorder.succeeded(event.attempt, event.elapsed)


def observer_for(name: str) -> MetricsObserver | None:
    """A metrics observer for function *name*, or None while metrics are disabled."""
    return MetricsObserver(name) if STATE.enabled else None


def first_success_handler(
    metered: MetricsObserver | None, succeeded: Callable[[int, float], None] | None
) -> Callable[[float], None]:
    """The retry core's "first attempt returned" step: count it, then tell the other observers
    (*succeeded*, when there are any)."""
    if metered is not None:
        recorder = metered.recorder
        return _fast.handler(recorder.first, recorder.lock, recorder.fold, succeeded)
    if succeeded is None:
        return _nothing
    return lambda start: succeeded(1, start)


def first_success_parts(
    metered: MetricsObserver | None,
) -> tuple[Callable[[], object] | None, Callable[[float], None]]:
    """``(take_token, timed)`` for the retry core to inline (see ``metrics._fast.parts``);
    ``take_token`` is None while metrics are off for this function."""
    if metered is None:
        return None, _nothing
    recorder = metered.recorder
    return _fast.parts(recorder.first, recorder.lock, recorder.fold)


def _nothing(_start: float) -> None:
    return None
