"""Prometheus and OpenTelemetry exporters, and that the core never imports them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from resilience_kit import ErrorCategory, metrics
from resilience_kit.metrics import _core as core


@pytest.fixture(autouse=True)
def _clean_metrics() -> Iterator[None]:
    metrics.reset()
    yield
    metrics.reset()


def _record() -> None:
    rec = core.function("summarize")
    for _ in range(4):
        rec.retried(ErrorCategory.RATE_LIMIT)
    for _ in range(9):
        rec.succeeded(1, 0.2)
    rec.gave_up_after(1, 0.02, ErrorCategory.QUOTA, "not_retryable")
    breaker = core.breaker("openai")
    breaker.rejected()


def test_prometheus_exposition_has_the_expected_series() -> None:
    """generate_latest() shows counters, failures by category and the latency histogram."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    metrics.register_prometheus(registry)
    _record()
    text = generate_latest(registry).decode()
    expected = [
        'resilience_kit_calls_total{function="summarize"} 10.0',
        'resilience_kit_attempts_total{function="summarize"} 10.0',
        'resilience_kit_retries_total{function="summarize"} 4.0',
        'resilience_kit_successes_total{function="summarize"} 9.0',
        'resilience_kit_gave_up_total{function="summarize",reason="not_retryable"} 1.0',
        'resilience_kit_failures_total{category="quota",function="summarize"} 1.0',
        'resilience_kit_failures_total{category="rate_limit",function="summarize"} 4.0',
        'resilience_kit_call_duration_seconds_bucket{function="summarize",le="0.25"} 10.0',
        'resilience_kit_call_duration_seconds_bucket{function="summarize",le="0.1"} 1.0',
        'resilience_kit_call_duration_seconds_bucket{function="summarize",le="+Inf"} 10.0',
        'resilience_kit_call_duration_seconds_count{function="summarize"} 10.0',
        'resilience_kit_breaker_rejections_total{breaker="openai"} 1.0',
        'resilience_kit_breaker_state{breaker="openai",state="closed"} 1.0',
    ]
    for line in expected:
        assert line in text, line


def test_prometheus_collector_can_be_registered_by_hand() -> None:
    """prometheus_collector() returns a collector for a registry the user owns."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    registry.register(metrics.prometheus_collector())
    _record()
    assert 4.0 == registry.get_sample_value(
        "resilience_kit_retries_total", {"function": "summarize"}
    )


def test_otel_reports_counters_and_latency_histogram() -> None:
    """instrument_otel() feeds observable counters and a duration histogram to the provider."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    handle = metrics.instrument_otel(provider)
    try:
        _record()
        data = reader.get_metrics_data()
    finally:
        handle.uninstrument()
        provider.shutdown()
    assert data is not None
    found = {
        m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    }
    retries = found["resilience_kit.retries"].data.data_points
    assert [4] == [p.value for p in retries if p.attributes == {"function": "summarize"}]
    failures = {
        p.attributes["category"]: p.value
        for p in found["resilience_kit.failures"].data.data_points
        if p.attributes is not None
    }
    assert {"rate_limit": 4, "quota": 1} == failures
    durations = found["resilience_kit.call.duration"].data.data_points
    assert 10 == sum(p.count for p in durations)
    assert not handle.active


def test_importing_the_kit_and_metrics_imports_no_exporter() -> None:
    """`import resilience_kit.metrics` and taking a snapshot import neither exporter library."""
    code = (
        "import sys, resilience_kit, resilience_kit.metrics as m; m.snapshot().summary_table();"
        "names = ('prometheus_client', 'opentelemetry');"
        "bad = sorted(n for n in sys.modules if n.startswith(names));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert 0 == done.returncode, done.stdout + done.stderr


def test_core_works_when_the_extras_are_missing() -> None:
    """With prometheus_client and opentelemetry unimportable, metrics still record and summarise."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('prometheus_client', 'opentelemetry'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from resilience_kit import metrics\n"
        "from resilience_kit.metrics import _core\n"
        "_core.function('f').succeeded(1, 0.1)\n"
        "assert metrics.snapshot().function('f').calls == 1\n"
        "try:\n"
        "    metrics.register_prometheus()\n"
        "except ImportError:\n"
        "    print('ok')\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert "ok" == done.stdout.strip(), done.stderr
