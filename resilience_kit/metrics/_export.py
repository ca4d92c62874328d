"""Optional exporters: Prometheus (``[prometheus]`` extra) and OpenTelemetry (``[otel]`` extra).

Neither library is imported until one of these functions is called. Labels are bounded: the
function's key (``module.qualname``, or the ``name=`` given to ``retry``), the error category,
the give-up reason code and the breaker name; never request ids, messages or arguments.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from resilience_kit.metrics import _core as _metrics
from resilience_kit.metrics._model import MetricsSnapshot

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
    from prometheus_client.registry import CollectorRegistry

__all__ = ["OtelInstrumentation", "instrument_otel", "prometheus_collector", "register_prometheus"]

PREFIX = "resilience_kit"


class _PrometheusCollector:
    """A ``prometheus_client`` collector that reads ``metrics.snapshot()`` at scrape time."""

    def __init__(self, snapshot: Callable[[], MetricsSnapshot]) -> None:
        self._snapshot = snapshot

    def describe(self) -> list[Any]:
        return []  # metric names depend on what ran; unchecked registration is fine

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        snap = self._snapshot()
        fn = ["function"]
        calls = CounterMetricFamily(f"{PREFIX}_calls", "Finished calls.", labels=fn)
        attempts = CounterMetricFamily(f"{PREFIX}_attempts", "Attempts made.", labels=fn)
        retries = CounterMetricFamily(f"{PREFIX}_retries", "Retries scheduled.", labels=fn)
        successes = CounterMetricFamily(f"{PREFIX}_successes", "Calls that returned.", labels=fn)
        gave_up = CounterMetricFamily(
            f"{PREFIX}_gave_up", "Calls that failed for good, by reason.", labels=[*fn, "reason"]
        )
        failures = CounterMetricFamily(
            f"{PREFIX}_failures",
            "Failed attempts, by error category.",
            labels=[*fn, "category"],
        )
        latency = HistogramMetricFamily(
            f"{PREFIX}_call_duration_seconds",
            "Whole-call latency including retries and waits.",
            labels=fn,
            unit="seconds",
        )
        for name, m in sorted(snap.functions.items()):
            calls.add_metric([name], m.calls)
            attempts.add_metric([name], m.attempts)
            retries.add_metric([name], m.retries)
            successes.add_metric([name], m.successes)
            for reason, n in sorted(m.gave_up_reasons.items()):
                gave_up.add_metric([name, reason], n)
            for category, n in sorted(m.failures.items()):
                failures.add_metric([name, category.value], n)
            cumulative, buckets = 0, []
            for bound, n in zip((*m.latency.bounds, float("inf")), m.latency.counts, strict=True):
                cumulative += n
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            latency.add_metric([name], buckets, m.latency.total)
        yield from (calls, attempts, retries, successes, gave_up, failures, latency)
        yield from _breaker_families(snap, CounterMetricFamily, GaugeMetricFamily)


def _breaker_families(snap: MetricsSnapshot, counter: Any, gauge: Any) -> Iterator[Any]:
    br = ["breaker"]
    calls = counter(
        f"{PREFIX}_breaker_calls", "Calls admitted, by outcome.", labels=[*br, "outcome"]
    )
    rejections = counter(f"{PREFIX}_breaker_rejections", "Calls rejected while open.", labels=br)
    transitions = counter(f"{PREFIX}_breaker_transitions", "State changes seen.", labels=br)
    state = gauge(f"{PREFIX}_breaker_state", "1 for the current state.", labels=[*br, "state"])
    seconds = counter(
        f"{PREFIX}_breaker_state_seconds", "Seconds spent in each state.", labels=[*br, "state"]
    )
    for name, b in sorted(snap.breakers.items()):
        calls.add_metric([name, "success"], b.successes)
        calls.add_metric([name, "failure"], sum(b.failures.values()))
        calls.add_metric([name, "ignored"], b.ignored)
        rejections.add_metric([name], b.rejections)
        transitions.add_metric([name], b.transitions)
        for s in ("closed", "open", "half_open"):
            state.add_metric([name, s], 1.0 if s == b.state else 0.0)
            seconds.add_metric([name, s], b.time_in_state.get(s, 0.0))
    yield from (calls, rejections, transitions, state, seconds)


def prometheus_collector() -> Any:
    """A ``prometheus_client`` collector exposing the kit's metrics (register it yourself)."""
    import prometheus_client  # noqa: F401 - fail here, clearly, without the extra  # pyright: ignore[reportUnusedImport]

    return _PrometheusCollector(_metrics.snapshot)


def register_prometheus(registry: CollectorRegistry | None = None) -> Any:
    """Register the kit's collector with *registry* (default: ``prometheus_client.REGISTRY``)."""
    from prometheus_client import REGISTRY

    collector = prometheus_collector()
    (REGISTRY if registry is None else registry).register(collector)
    return collector


class OtelInstrumentation:
    """Handle returned by `instrument_otel()`; ``uninstrument()`` stops reporting.

    See [`instrument_otel()`][resilience_kit.metrics.instrument_otel].
    """

    def __init__(self) -> None:
        self._active = True
        self._lock = threading.Lock()
        self._remove_sink: Callable[[], None] = lambda: None

    @property
    def active(self) -> bool:
        """Whether this instrumentation still reports."""
        return self._active

    def uninstrument(self) -> None:
        """Stop recording latencies and reporting counters through OpenTelemetry."""
        with self._lock:
            self._active = False
            self._remove_sink()


def instrument_otel(meter_provider: MeterProvider | None = None) -> OtelInstrumentation:
    """Report the kit's metrics through OpenTelemetry (*meter_provider* or the global one).

    Counters are observable (read from the snapshot at collection time); call latency is a
    histogram ``resilience_kit.call.duration`` recorded as calls finish.
    """
    from opentelemetry.metrics import Observation, get_meter

    meter = get_meter("resilience_kit", meter_provider=meter_provider)
    handle = OtelInstrumentation()

    def counter(pick: Callable[[Any], Iterable[tuple[dict[str, str], int]]]) -> Any:
        def callback(_options: CallbackOptions) -> Iterable[Observation]:
            if not handle.active:
                return []
            snap = _metrics.snapshot()
            return [
                Observation(value, attrs)
                for m in (*snap.functions.values(), *snap.breakers.values())
                for attrs, value in pick(m)
            ]

        return [callback]

    def fields(attr: str) -> Callable[[Any], Iterable[tuple[dict[str, str], int]]]:
        def pick(m: Any) -> Iterable[tuple[dict[str, str], int]]:
            if hasattr(m, "function"):
                yield {"function": m.function}, getattr(m, attr)

        return pick

    def failures(m: Any) -> Iterable[tuple[dict[str, str], int]]:
        if hasattr(m, "function"):
            for category, n in m.failures.items():
                yield {"function": m.function, "category": category.value}, n

    def gave_up(m: Any) -> Iterable[tuple[dict[str, str], int]]:
        if hasattr(m, "function"):
            for reason, n in m.gave_up_reasons.items():
                yield {"function": m.function, "reason": reason}, n

    def rejections(m: Any) -> Iterable[tuple[dict[str, str], int]]:
        if hasattr(m, "rejections"):
            yield {"breaker": m.name}, m.rejections

    for attr in ("calls", "attempts", "retries", "successes"):
        meter.create_observable_counter(f"{PREFIX}.{attr}", callbacks=counter(fields(attr)))
    meter.create_observable_counter(f"{PREFIX}.failures", callbacks=counter(failures))
    meter.create_observable_counter(f"{PREFIX}.gave_up", callbacks=counter(gave_up))
    meter.create_observable_counter(f"{PREFIX}.breaker.rejections", callbacks=counter(rejections))
    histogram = meter.create_histogram(
        f"{PREFIX}.call.duration", unit="s", description="Whole-call latency including retries."
    )

    def sink(function: str, latency: float, ok: bool, weight: int) -> None:
        attributes = {"function": function, "outcome": "success" if ok else "error"}
        for _ in range(weight):  # a sampled call stands for *weight* calls
            histogram.record(latency, attributes)

    handle._remove_sink = _metrics.add_sink(sink)
    return handle
