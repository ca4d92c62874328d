"""In-process metrics: cheap recorders on the hot path, aggregation only in ``snapshot()``.

One :class:`FunctionRecorder` per decorated function name and one :class:`BreakerRecorder` per
breaker name. Each holds its own ``threading.Lock``, taken for a handful of integer additions
(never across user code or an ``await``), so recording is safe from threads and tasks alike.
A finished call costs one lock round trip and one ``bisect``. ``disable()`` (or the environment
variable ``RESILIENCE_KIT_METRICS=off`` at import) turns recording into a flag check.
"""

from __future__ import annotations

import os
import threading
from bisect import bisect_left
from collections.abc import Callable

from resilience_kit import _clock
from resilience_kit._categories import ErrorCategory
from resilience_kit._metrics_model import (
    LATENCY_BUCKETS,
    BreakerMetrics,
    FunctionMetrics,
    LatencyHistogram,
    MetricsSnapshot,
)

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

ENV_VAR = "RESILIENCE_KIT_METRICS"
_OFF_VALUES = frozenset({"0", "off", "false", "no", "disabled"})

CallSink = Callable[[str, float, bool], None]
"""Called with (function, latency seconds, succeeded) for every finished call (exporters)."""


class _State:
    """Process-wide switches read on the hot path (attribute reads, no locking)."""

    __slots__ = ("enabled", "sinks")

    def __init__(self) -> None:
        self.enabled = os.environ.get(ENV_VAR, "on").strip().lower() not in _OFF_VALUES
        self.sinks: tuple[CallSink, ...] = ()


STATE = _State()
_registry_lock = threading.Lock()
_functions: dict[str, FunctionRecorder] = {}
_breakers: dict[str, BreakerRecorder] = {}


class FunctionRecorder:
    """Counters of one decorated function."""

    __slots__ = (
        "_lock",
        "attempts",
        "buckets",
        "calls",
        "failures",
        "gave_up",
        "latency_max",
        "latency_sum",
        "name",
        "reasons",
        "retries",
        "successes",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.calls = self.attempts = self.retries = self.successes = self.gave_up = 0
        self.failures: dict[ErrorCategory, int] = {}
        self.reasons: dict[str, int] = {}
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.latency_max = 0.0

    def retried(self, category: ErrorCategory | None) -> None:
        """An attempt failed with *category* and a retry was scheduled."""
        if not STATE.enabled:
            return
        category = ErrorCategory.UNKNOWN if category is None else category
        with self._lock:
            self.retries += 1
            self.failures[category] = self.failures.get(category, 0) + 1

    def succeeded(self, attempts: int, latency: float) -> None:
        """A call returned after *attempts* attempts and *latency* seconds."""
        if not STATE.enabled:
            return
        index = bisect_left(LATENCY_BUCKETS, latency)
        with self._lock:
            self.calls += 1
            self.successes += 1
            self.attempts += attempts
            self.buckets[index] += 1
            self.latency_sum += latency
            if latency > self.latency_max:
                self.latency_max = latency
        for sink in STATE.sinks:
            _run_sink(sink, self.name, latency, ok=True)

    def gave_up_after(
        self, attempts: int, latency: float, category: ErrorCategory | None, reason: str
    ) -> None:
        """A call failed for good: its last attempt failed with *category*; *reason* why."""
        if not STATE.enabled:
            return
        category = ErrorCategory.UNKNOWN if category is None else category
        index = bisect_left(LATENCY_BUCKETS, latency)
        with self._lock:
            self.calls += 1
            self.gave_up += 1
            self.attempts += attempts
            self.failures[category] = self.failures.get(category, 0) + 1
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
            self.buckets[index] += 1
            self.latency_sum += latency
            if latency > self.latency_max:
                self.latency_max = latency
        for sink in STATE.sinks:
            _run_sink(sink, self.name, latency, ok=False)

    def failed_after_output(self, category: ErrorCategory | None) -> None:
        """A generator call already counted as a success failed after yielding output."""
        if not STATE.enabled:
            return
        category = ErrorCategory.UNKNOWN if category is None else category
        with self._lock:
            self.successes -= 1
            self.gave_up += 1
            self.failures[category] = self.failures.get(category, 0) + 1
            self.reasons["after_first_item"] = self.reasons.get("after_first_item", 0) + 1

    def clear(self) -> None:
        with self._lock:
            self._clear()

    def freeze(self) -> FunctionMetrics:
        with self._lock:
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


class BreakerRecorder:
    """Counters and state timeline of one circuit breaker as this process saw it."""

    __slots__ = (
        "_lock",
        "calls",
        "durations",
        "failures",
        "ignored",
        "name",
        "rejections",
        "since",
        "state",
        "successes",
        "transitions",
    )

    def __init__(self, name: str, state: str = "closed") -> None:
        self.name = name
        self._lock = threading.Lock()
        self.state = state
        self._clear()

    def _clear(self) -> None:
        self.calls = self.successes = self.ignored = self.rejections = self.transitions = 0
        self.failures: dict[ErrorCategory, int] = {}
        self.since = _clock.monotonic()
        self.durations: dict[str, float] = {}

    def outcome(self, kind: str, category: ErrorCategory | None = None) -> None:
        """An admitted call ended as ``"success"``, ``"failure"`` (with *category*) or
        ``"ignored"``."""
        if not STATE.enabled:
            return
        with self._lock:
            self.calls += 1
            if kind == "success":
                self.successes += 1
            elif kind == "failure":
                key = ErrorCategory.UNKNOWN if category is None else category
                self.failures[key] = self.failures.get(key, 0) + 1
            else:
                self.ignored += 1

    def rejected(self) -> None:
        """A call was refused because the circuit is open (or half-open and full)."""
        if not STATE.enabled:
            return
        with self._lock:
            self.rejections += 1

    def state_changed(self, state: str) -> None:
        """The breaker is now in *state* (``closed``, ``open``, ``half_open``)."""
        now = _clock.monotonic()
        with self._lock:
            if state == self.state:
                return
            self.durations[self.state] = self.durations.get(self.state, 0.0) + now - self.since
            self.state, self.since = state, now
            self.transitions += 1

    def clear(self) -> None:
        """Zero the counters; the current state stays, its clock restarts now."""
        with self._lock:
            self._clear()

    def freeze(self) -> BreakerMetrics:
        now = _clock.monotonic()
        with self._lock:
            durations = dict(self.durations)
            durations[self.state] = durations.get(self.state, 0.0) + max(now - self.since, 0.0)
            return BreakerMetrics(
                name=self.name,
                state=self.state,
                calls=self.calls,
                successes=self.successes,
                failures=dict(self.failures),
                ignored=self.ignored,
                rejections=self.rejections,
                transitions=self.transitions,
                time_in_state={s: durations.get(s, 0.0) for s in _STATES if s in durations},
            )


_STATES = ("closed", "open", "half_open")


def _run_sink(sink: CallSink, name: str, latency: float, *, ok: bool) -> None:
    try:
        sink(name, latency, ok)
    except Exception:  # an exporter must never break the user's call
        from resilience_kit._events import emit

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


def enable() -> None:
    """Record metrics (the default)."""
    STATE.enabled = True


def disable() -> None:
    """Stop recording metrics; recording becomes one flag check. Breaker states still tracked."""
    STATE.enabled = False


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
