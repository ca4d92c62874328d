"""In-process metrics of every ``@retry``/``resilient`` function and circuit breaker.

``snapshot()`` returns a [`MetricsSnapshot`][resilience_kit.metrics.MetricsSnapshot];
``reset()`` zeroes everything (tests); ``disable()``/``enable()`` or ``RESILIENCE_KIT_METRICS=off``
switch recording off and on. Exporters need their extra and import nothing until called:
``register_prometheus()`` / ``prometheus_collector()`` (``llm-resilience-kit[prometheus]``) and
``instrument_otel()`` (``llm-resilience-kit[otel]``).
"""

from __future__ import annotations

from resilience_kit.metrics._core import disable, enable, is_enabled, reset, snapshot
from resilience_kit.metrics._export import (
    OtelInstrumentation,
    instrument_otel,
    prometheus_collector,
    register_prometheus,
)
from resilience_kit.metrics._model import (
    LATENCY_BUCKETS,
    BreakerMetrics,
    FunctionMetrics,
    LatencyHistogram,
    MetricsSnapshot,
    format_summary,
)

__all__ = [
    "LATENCY_BUCKETS",
    "BreakerMetrics",
    "FunctionMetrics",
    "LatencyHistogram",
    "MetricsSnapshot",
    "OtelInstrumentation",
    "disable",
    "enable",
    "format_summary",
    "instrument_otel",
    "is_enabled",
    "prometheus_collector",
    "register_prometheus",
    "reset",
    "snapshot",
]
