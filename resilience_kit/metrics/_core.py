"""In-process metrics: cheap recorders on the hot path, aggregation only in ``snapshot()``.

One `FunctionRecorder` per decorated function name and one `BreakerRecorder` per
breaker name. Each holds its own ``threading.Lock``, taken for a handful of integer additions
(never across user code or an ``await``), so recording is safe from threads and tasks alike.
``disable()`` (or ``RESILIENCE_KIT_METRICS=off`` at import) turns recording into a flag check,
and decorators built while disabled carry no metrics code at all.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_left
from collections.abc import Callable

from resilience_kit import _state
from resilience_kit._categories import ErrorCategory
from resilience_kit._events import emit
from resilience_kit.metrics._breaker import BreakerRecorder
from resilience_kit.metrics._model import (
    LATENCY_BUCKETS,
    FunctionMetrics,
    LatencyHistogram,
    MetricsSnapshot,
)
from resilience_kit.metrics._state import STATE, CallSink

__all__ = [
    "BreakerRecorder",
    "FunctionRecorder",
    "add_sink",
    "breaker",
    "disable",
    "enable",
    "function",
    "is_enabled",
    "reset",
    "snapshot",
]

_registry_lock = threading.Lock()
_functions: dict[str, FunctionRecorder] = {}
# Held weakly: a breaker's recorder lives as long as a breaker of that name (each breaker holds
# its recorder), so short-lived breakers with unique names do not accumulate recorders.
_breakers: weakref.WeakValueDictionary[str, BreakerRecorder] = weakref.WeakValueDictionary()


class FunctionRecorder:
    """Counters of one decorated function."""

    __slots__ = (
        "attempts",
        "buckets",
        "calls",
        "failures",
        "gave_up",
        "latency_max",
        "latency_sum",
        "lock",
        "name",
        "reasons",
        "retries",
        "successes",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.calls = self.attempts = self.retries = self.successes = self.gave_up = 0
        self.failures: dict[ErrorCategory, int] = {}
        self.reasons: dict[str, int] = {}
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.latency_max = 0.0

    def retried(self, category: ErrorCategory | None) -> None:
        """An attempt failed with *category* and a retry was scheduled.

        The retry itself is counted when the call ends (``attempts - 1`` of them): a call
        cancelled meanwhile is not counted at all, so ``attempts == calls + retries`` holds.
        """
        if not STATE.enabled:
            return
        category = ErrorCategory.UNKNOWN if category is None else category
        with self.lock:
            self.failures[category] = self.failures.get(category, 0) + 1

    def succeeded(self, attempts: int, latency: float) -> None:
        """A call returned after *attempts* attempts and *latency* seconds."""
        if not STATE.enabled:
            return
        index = bisect_left(LATENCY_BUCKETS, latency)
        with self.lock:
            self.calls += 1
            self.successes += 1
            self.attempts += attempts
            self.retries += attempts - 1
            self.buckets[index] += 1
            self.latency_sum += latency
            if latency > self.latency_max:
                self.latency_max = latency
        for sink in STATE.sinks:
            _run_sink(sink, self.name, latency, ok=True, weight=1)

    def gave_up_after(
        self, attempts: int, latency: float, category: ErrorCategory | None, reason: str
    ) -> None:
        """A call failed for good: its last attempt failed with *category*; *reason* why."""
        if not STATE.enabled:
            return
        category = ErrorCategory.UNKNOWN if category is None else category
        index = bisect_left(LATENCY_BUCKETS, latency)
        with self.lock:
            self.calls += 1
            self.gave_up += 1
            self.attempts += attempts
            self.retries += attempts - 1
            self.failures[category] = self.failures.get(category, 0) + 1
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
            self.buckets[index] += 1
            self.latency_sum += latency
            if latency > self.latency_max:
                self.latency_max = latency
        for sink in STATE.sinks:
            _run_sink(sink, self.name, latency, ok=False, weight=1)

    def failed_after_output(self, category: ErrorCategory | None) -> None:
        """A generator call already counted as a success failed after yielding output."""
        if not STATE.enabled:
            return
        category = ErrorCategory.UNKNOWN if category is None else category
        with self.lock:
            self.successes -= 1
            self.gave_up += 1
            self.failures[category] = self.failures.get(category, 0) + 1
            self.reasons["after_first_item"] = self.reasons.get("after_first_item", 0) + 1

    def clear(self) -> None:
        with self.lock:
            self._clear()

    def freeze(self) -> FunctionMetrics:
        with self.lock:
            return FunctionMetrics(
                function=self.name,
                calls=self.calls,
                attempts=self.attempts,
                retries=self.retries,
                successes=self.successes,
                gave_up=self.gave_up,
                failures=dict(self.failures),
                gave_up_reasons=dict(self.reasons),
                latency=LatencyHistogram(
                    LATENCY_BUCKETS, tuple(self.buckets), self.latency_sum, self.latency_max
                ),
            )


def _run_sink(sink: CallSink, name: str, latency: float, *, ok: bool, weight: int) -> None:
    try:
        sink(name, latency, ok, weight)
    except Exception:  # an exporter must never break the user's call
        emit("metrics_sink_failed", level="warning", function=name)


def function(name: str) -> FunctionRecorder:
    """The recorder of function *name*, created on first use."""
    found = _functions.get(name)
    if found is None:
        with _registry_lock:
            found = _functions.setdefault(name, FunctionRecorder(name))
    return found


def breaker(name: str, state: str = "closed") -> BreakerRecorder:
    """The recorder of breaker *name*, created on first use (starting in *state*)."""
    found = _breakers.get(name)
    if found is None:
        with _registry_lock:
            found = _breakers.setdefault(name, BreakerRecorder(name, state))
    return found


def snapshot() -> MetricsSnapshot:
    """Every function's and breaker's metrics, now."""
    with _registry_lock:
        functions = tuple(_functions.values())
        breakers = tuple(_breakers.values())
    frozen = (r.freeze() for r in functions)
    return MetricsSnapshot(
        functions={m.function: m for m in frozen if m.calls or m.retries},
        breakers={r.name: r.freeze() for r in breakers},
        enabled=STATE.enabled,
    )


def reset() -> None:
    """Forget every recorded number (for tests); breakers keep their current state."""
    with _registry_lock:
        recorders: tuple[FunctionRecorder | BreakerRecorder, ...] = (
            *_functions.values(),
            *_breakers.values(),
        )
    for recorder in recorders:
        recorder.clear()


@_state.register
def _checkpoint() -> Callable[[], None]:
    """After a test, the numbers it recorded are forgotten."""
    return reset


def enable() -> None:
    """Record metrics (the default) in decorators built while enabled, and from now on."""
    for breaker_recorder in _breakers_now():
        breaker_recorder.resume()
    STATE.enabled = True


def disable() -> None:
    """Stop recording: existing decorators skip recording, decorators built while disabled carry
    no metrics code at all. Breaker states are still tracked."""
    for breaker_recorder in _breakers_now():
        breaker_recorder.pause()
    STATE.enabled = False


def _breakers_now() -> tuple[BreakerRecorder, ...]:
    with _registry_lock:
        return tuple(_breakers.values())


def is_enabled() -> bool:
    """Whether metrics are being recorded."""
    return STATE.enabled


def add_sink(sink: CallSink) -> Callable[[], None]:
    """Call *sink* for every finished call (used by exporters); returns a remover."""
    with _registry_lock:
        STATE.sinks = (*STATE.sinks, sink)

    def remove() -> None:
        with _registry_lock:
            STATE.sinks = tuple(s for s in STATE.sinks if s is not sink)

    return remove
