"""The typed, immutable answer of ``resilience_kit.metrics.snapshot()`` and its text summary.

Everything here is computed from counters when a snapshot is taken, never on the hot path.
Percentiles come from fixed histogram buckets (linear interpolation inside the bucket, as
Prometheus' ``histogram_quantile`` does), so they are exact to within one bucket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from resilience_kit._categories import ErrorCategory

__all__ = [
    "LATENCY_BUCKETS",
    "BreakerMetrics",
    "FunctionMetrics",
    "LatencyHistogram",
    "MetricsSnapshot",
    "format_summary",
    "short_names",
]

LATENCY_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.0,
    4.0,
    8.0,
    15.0,
    30.0,
    60.0,
    120.0,
    300.0,
)
"""Upper bounds (seconds) of the latency histogram buckets; a last ``+Inf`` bucket is implied."""


@dataclass(frozen=True, slots=True)
class LatencyHistogram:
    """Call latencies in fixed buckets: ``counts[i]`` calls took at most ``bounds[i]`` seconds
    (and more than ``bounds[i-1]``); the last count is the ``+Inf`` bucket."""

    bounds: tuple[float, ...] = LATENCY_BUCKETS
    counts: tuple[int, ...] = (0,) * (len(LATENCY_BUCKETS) + 1)
    total: float = 0.0
    """Sum of all observed latencies, seconds."""
    maximum: float = 0.0
    """The slowest observed call, seconds (used to bound the ``+Inf`` bucket)."""

    @property
    def count(self) -> int:
        """How many latencies were observed."""
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        """Average latency, or None when nothing was observed."""
        n = self.count
        return self.total / n if n else None

    def percentile(self, q: float) -> float | None:
        """Estimated latency below which a share *q* (0 < q <= 1) of calls finished.

        None when nothing was observed. The estimate is in the same bucket as the true value.
        """
        if not 0.0 < q <= 1.0:
            raise ValueError(f"percentile: q must be in (0, 1], got {q!r}")
        n = self.count
        if n == 0:
            return None
        rank = q * n
        seen = 0
        for index, in_bucket in enumerate(self.counts):
            if in_bucket and seen + in_bucket >= rank:
                lower = self.bounds[index - 1] if index > 0 else 0.0
                upper = self.bounds[index] if index < len(self.bounds) else self.maximum
                upper = min(upper, self.maximum)
                lower = min(lower, upper)
                return lower + (upper - lower) * (rank - seen) / in_bucket
            seen += in_bucket
        return self.maximum  # pragma: no cover - rank <= n always lands in a bucket

    @property
    def p50(self) -> float | None:
        """Median latency estimate (seconds)."""
        return self.percentile(0.50)

    @property
    def p95(self) -> float | None:
        """95th percentile latency estimate (seconds)."""
        return self.percentile(0.95)

    @property
    def p99(self) -> float | None:
        """99th percentile latency estimate (seconds)."""
        return self.percentile(0.99)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: buckets, count, sum, max and the p50/p95/p99 estimates."""
        return {
            "bounds": list(self.bounds),
            "counts": list(self.counts),
            "count": self.count,
            "sum": self.total,
            "max": self.maximum,
            "p50": self.p50,
            "p95": self.p95,
            "p99": self.p99,
        }


@dataclass(frozen=True, slots=True)
class FunctionMetrics:
    """What the calls of one ``@retry``-decorated function did (cancelled calls not counted).

    ``calls == successes + gave_up``; ``attempts == calls + retries``; every failed attempt is
    counted once in ``failures`` under its category.
    """

    function: str
    calls: int = 0
    attempts: int = 0
    retries: int = 0
    successes: int = 0
    gave_up: int = 0
    failures: Mapping[ErrorCategory, int] = field(default_factory=dict)
    """Failed attempts (retried or final) by category."""
    gave_up_reasons: Mapping[str, int] = field(default_factory=dict)
    """Why calls gave up: ``not_retryable``, ``max_attempts``, ``deadline``, ..."""
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    """Whole-call latency (all attempts and waits), seconds."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (categories as their string values)."""
        return {
            "function": self.function,
            "calls": self.calls,
            "attempts": self.attempts,
            "retries": self.retries,
            "successes": self.successes,
            "gave_up": self.gave_up,
            "failures": {c.value: n for c, n in sorted(self.failures.items())},
            "gave_up_reasons": dict(sorted(self.gave_up_reasons.items())),
            "latency": self.latency.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class BreakerMetrics:
    """What one circuit breaker did in this process."""

    name: str
    state: str = "closed"
    """The last state this process saw (``closed``, ``open`` or ``half_open``)."""
    calls: int = 0
    """Calls the breaker admitted."""
    successes: int = 0
    failures: Mapping[ErrorCategory, int] = field(default_factory=dict)
    """Admitted calls that counted as failures, by category."""
    ignored: int = 0
    """Admitted calls whose outcome neither helped nor hurt (client errors, cancellation)."""
    rejections: int = 0
    """Calls refused with ``CircuitOpenError``."""
    transitions: int = 0
    time_in_state: Mapping[str, float] = field(default_factory=dict)
    """Seconds spent in each state since the breaker was first seen (the current one included)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (categories as their string values)."""
        return {
            "name": self.name,
            "state": self.state,
            "calls": self.calls,
            "successes": self.successes,
            "failures": {c.value: n for c, n in sorted(self.failures.items())},
            "ignored": self.ignored,
            "rejections": self.rejections,
            "transitions": self.transitions,
            "time_in_state": dict(self.time_in_state),
        }


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """Every function's and breaker's metrics at one moment (``resilience_kit.metrics``)."""

    functions: Mapping[str, FunctionMetrics] = field(default_factory=dict)
    breakers: Mapping[str, BreakerMetrics] = field(default_factory=dict)
    enabled: bool = True

    def function(self, name: str) -> FunctionMetrics:
        """The metrics of function *name*; zeros if it never ran.

        Rows are keyed by ``module.qualname`` (or the ``name=`` given to ``retry``/``resilient``);
        *name* may be the full key or any dotted tail of it that names one row only (``ask``,
        ``oa.ask``). A tail shared by several rows raises ``KeyError`` listing them.
        """
        found = self.functions.get(name)
        if found is not None:
            return found
        matches = [key for key in self.functions if key.endswith("." + name)]
        if len(matches) > 1:
            raise KeyError(f"{name!r} is ambiguous: {', '.join(sorted(matches))}")
        return self.functions[matches[0]] if matches else FunctionMetrics(name)

    def short_names(self) -> dict[str, str]:
        """Each function row's shortest dotted tail that no other row shares (for display)."""
        return short_names(self.functions)

    def breaker(self, name: str) -> BreakerMetrics:
        """The metrics of breaker *name*; zeros if this process never saw it."""
        found = self.breakers.get(name)
        return found if found is not None else BreakerMetrics(name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of everything."""
        return {
            "enabled": self.enabled,
            "functions": {name: m.to_dict() for name, m in sorted(self.functions.items())},
            "breakers": {name: m.to_dict() for name, m in sorted(self.breakers.items())},
        }

    def summary_table(self) -> str:
        """A readable text table of every function and breaker.

        Same as [`format_summary(snapshot)`][resilience_kit.metrics.format_summary].
        """
        return format_summary(self)


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1.0:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.2f}s"


def _counts(counts: Mapping[Any, int]) -> str:
    parts = [f"{getattr(k, 'value', k)}={n}" for k, n in sorted(counts.items()) if n]
    return " ".join(parts) or "-"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.ljust(width) if i in (0, len(row) - 1) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]


def short_names(keys: Iterable[str]) -> dict[str, str]:
    """For each dotted key, its shortest tail that is the tail of no other key."""
    split = {key: key.split(".") for key in keys}
    short: dict[str, str] = {}
    for key, parts in split.items():
        for size in range(1, len(parts) + 1):
            tail = parts[-size:]
            if not any(other[-size:] == tail for k, other in split.items() if k != key):
                short[key] = ".".join(tail)
                break
        else:
            short[key] = key
    return short


def format_summary(snapshot: MetricsSnapshot) -> str:
    """Render *snapshot* as plain-text tables: one row per function, one per breaker."""
    lines: list[str] = []
    if not snapshot.enabled:
        lines.append("(metrics are disabled)")
    rows: list[tuple[str, ...]]
    header: tuple[str, ...]
    if snapshot.functions:
        shown = snapshot.short_names()
        rows = [
            (
                shown[key],
                str(m.calls),
                str(m.successes),
                str(m.gave_up),
                str(m.attempts),
                str(m.retries),
                _ms(m.latency.p50),
                _ms(m.latency.p95),
                _ms(m.latency.p99),
                _counts(m.failures),
            )
            for key, m in sorted(snapshot.functions.items())
        ]
        header = ("function", "calls", "ok", "gave up", "attempts", "retries", "p50", "p95", "p99")
        lines += _table((*header, "failures by category"), rows)
    if snapshot.breakers:
        if lines:
            lines.append("")
        rows = [
            (
                b.name,
                b.state,
                str(b.calls),
                str(b.successes),
                str(sum(b.failures.values())),
                str(b.rejections),
                str(b.transitions),
                " ".join(f"{s}={t:.1f}s" for s, t in b.time_in_state.items()) or "-",
            )
            for _, b in sorted(snapshot.breakers.items())
        ]
        header = ("breaker", "state", "calls", "ok", "failed", "rejected", "transitions")
        lines += _table((*header, "time in state"), rows)
    if not snapshot.functions and not snapshot.breakers:
        lines.append("(no calls recorded)")
    return "\n".join(lines)
