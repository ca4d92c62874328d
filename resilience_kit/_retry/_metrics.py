"""Feeds one ``@retry``-decorated function's events into its metrics recorder.

``@retry`` builds one `MetricsObserver` per decorated function while metrics are enabled
(decorators built while disabled carry none). It is an ordinary observer: retries, give-ups and
successes arrive as observer events.
"""

from __future__ import annotations

from resilience_kit._retry._observers import AttemptRecord, RetryObserver
from resilience_kit.metrics import _core as _metrics
from resilience_kit.metrics._state import STATE

__all__ = ["MetricsObserver", "observer_for"]


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
        self.recorder.succeeded(event.attempt, event.elapsed)


def observer_for(name: str) -> MetricsObserver | None:
    """A metrics observer for function *name*, or None while metrics are disabled."""
    return MetricsObserver(name) if STATE.enabled else None
