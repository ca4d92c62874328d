"""Metrics of one circuit breaker: outcomes, rejections and the time spent in each state.

Successes (the healthy circuit's hot path) are counted with one ``itertools.count`` step, no
lock; everything else is rare and takes the recorder's lock for a few additions. Failures are
counted when settled; those classified by the breaker also record their category, so the
remainder (slow calls, ``is_failure``/``is_failure_result`` predicates) shows as ``unknown``.
"""

from __future__ import annotations

import itertools
import threading

from resilience_kit import _clock
from resilience_kit._categories import ErrorCategory
from resilience_kit.metrics import _core as _metrics
from resilience_kit.metrics._model import BreakerMetrics

__all__ = ["BreakerRecorder"]

_STATES = ("closed", "open", "half_open")


def _value(counter: itertools.count[int]) -> int:
    return int(repr(counter)[6:-1])  # "count(N)": N calls so far


class BreakerRecorder:
    """Counters and state timeline of one circuit breaker as this process saw it."""

    __slots__ = (
        "_ok",
        "_ok_base",
        "_paused_at",
        "by_category",
        "durations",
        "failed",
        "ignored",
        "lock",
        "name",
        "ok",
        "rejections",
        "since",
        "state",
        "transitions",
    )

    def __init__(self, name: str, state: str = "closed") -> None:
        self.name = name
        self.lock = threading.Lock()
        self.state = state
        self._ok = itertools.count()
        self.ok = self._ok.__next__
        """Count one success (the hot path: no lock, no flag check)."""
        self._paused_at: int | None = None
        self._clear()

    def _clear(self) -> None:
        self._ok_base = _value(self._ok)
        self.failed = self.ignored = self.rejections = self.transitions = 0
        self.by_category: dict[ErrorCategory, int] = {}
        self.since = _clock.monotonic()
        self.durations: dict[str, float] = {}

    def settled(self, failed: bool | None) -> None:
        """An admitted call ended: failed (True), succeeded (False) or ignored (None)."""
        if failed is False:
            self.ok()
            return
        if not _metrics.STATE.enabled:
            return
        with self.lock:
            if failed:
                self.failed += 1
            else:
                self.ignored += 1

    def failure_category(self, category: ErrorCategory) -> None:
        """The failure about to be settled was classified as *category*."""
        if not _metrics.STATE.enabled:
            return
        with self.lock:
            self.by_category[category] = self.by_category.get(category, 0) + 1

    def rejected(self) -> None:
        """A call was refused because the circuit is open (or half-open and full)."""
        if not _metrics.STATE.enabled:
            return
        with self.lock:
            self.rejections += 1

    def state_changed(self, state: str) -> None:
        """The breaker is now in *state* (``closed``, ``open``, ``half_open``)."""
        now = _clock.monotonic()
        with self.lock:
            if state == self.state:
                return
            self.durations[self.state] = self.durations.get(self.state, 0.0) + now - self.since
            self.state, self.since = state, now
            self.transitions += 1

    def pause(self) -> None:
        """Metrics were disabled: successes from now on are not counted."""
        with self.lock:
            if self._paused_at is None:
                self._paused_at = _value(self._ok)

    def resume(self) -> None:
        """Metrics were enabled again: skip the successes counted while paused."""
        with self.lock:
            if self._paused_at is not None:
                self._ok_base += _value(self._ok) - self._paused_at
                self._paused_at = None

    def clear(self) -> None:
        """Zero the counters; the current state stays, its clock restarts now."""
        with self.lock:
            self._clear()
            if self._paused_at is not None:
                self._paused_at = self._ok_base

    def freeze(self) -> BreakerMetrics:
        now = _clock.monotonic()
        with self.lock:
            ok_now = _value(self._ok) if self._paused_at is None else self._paused_at
            successes = ok_now - self._ok_base
            failures = dict(self.by_category)
            unclassified = self.failed - sum(failures.values())
            if unclassified > 0:
                failures[ErrorCategory.UNKNOWN] = failures.get(ErrorCategory.UNKNOWN, 0) + (
                    unclassified
                )
            durations = dict(self.durations)
            durations[self.state] = durations.get(self.state, 0.0) + max(now - self.since, 0.0)
            return BreakerMetrics(
                name=self.name,
                state=self.state,
                calls=successes + self.failed + self.ignored,
                successes=successes,
                failures=failures,
                ignored=self.ignored,
                rejections=self.rejections,
                transitions=self.transitions,
                time_in_state={s: durations[s] for s in _STATES if s in durations},
            )
