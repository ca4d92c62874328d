"""The in-process metrics recorders, snapshot model and summary table."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Iterator

import pytest

from resilience_kit import ErrorCategory, _clock, metrics
from resilience_kit.metrics import _core as core
from resilience_kit.metrics._model import LATENCY_BUCKETS, LatencyHistogram


@pytest.fixture(autouse=True)
def _clean_metrics() -> Iterator[None]:
    metrics.reset()
    metrics.enable()
    yield
    metrics.reset()
    metrics.enable()


def test_counts_add_up_for_one_function() -> None:
    """Retries, successes and give-ups land in the right counters and categories."""
    rec = core.function("f")
    rec.retried(ErrorCategory.RATE_LIMIT)
    rec.succeeded(2, 0.2)
    rec.gave_up_after(1, 0.01, ErrorCategory.QUOTA, "not_retryable")
    m = metrics.snapshot().function("f")
    assert (2, 3, 1, 1, 1) == (m.calls, m.attempts, m.retries, m.successes, m.gave_up)
    assert {ErrorCategory.RATE_LIMIT: 1, ErrorCategory.QUOTA: 1} == dict(m.failures)
    assert {"not_retryable": 1} == dict(m.gave_up_reasons)
    assert 2 == m.latency.count


def test_unknown_function_reads_as_zeros() -> None:
    """A function that never ran has zero counts and no percentiles."""
    m = metrics.snapshot().function("never")
    assert 0 == m.calls
    assert m.latency.p95 is None


def test_reset_zeroes_and_hides_idle_functions() -> None:
    """After reset() a snapshot lists no functions, and held recorders keep working."""
    rec = core.function("g")
    rec.succeeded(1, 0.1)
    metrics.reset()
    assert {} == dict(metrics.snapshot().functions)
    rec.succeeded(1, 0.1)
    assert 1 == metrics.snapshot().function("g").calls


def test_disable_stops_recording() -> None:
    """While disabled nothing is counted; enable() resumes."""
    metrics.disable()
    core.function("h").succeeded(1, 0.1)
    snap = metrics.snapshot()
    assert not snap.enabled
    assert 0 == snap.function("h").calls
    metrics.enable()
    core.function("h").succeeded(1, 0.1)
    assert 1 == metrics.snapshot().function("h").calls


def test_generator_failure_after_output_moves_success_to_gave_up() -> None:
    """A stream failing after its first item is counted as given up, not as a success."""
    rec = core.function("stream")
    rec.succeeded(1, 0.1)
    rec.failed_after_output(ErrorCategory.OVERLOADED)
    m = metrics.snapshot().function("stream")
    assert (1, 0, 1) == (m.calls, m.successes, m.gave_up)
    assert {"after_first_item": 1} == dict(m.gave_up_reasons)


def _bucket(value: float) -> int:
    return sum(1 for bound in LATENCY_BUCKETS if bound < value)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_within_one_bucket_of_true_value(seed: int) -> None:
    """p50/p95/p99 estimates lie within one bucket of the exact percentile."""
    rng = random.Random(seed)
    values = sorted(rng.lognormvariate(-1.0, 1.2) for _ in range(2000))
    rec = core.function(f"lat{seed}")
    for value in values:
        rec.succeeded(1, value)
    hist = metrics.snapshot().function(f"lat{seed}").latency
    for q in (0.5, 0.95, 0.99):
        true = values[max(int(q * len(values) + 0.999999) - 1, 0)]
        estimate = hist.percentile(q)
        assert estimate is not None
        assert abs(_bucket(true) - _bucket(estimate)) <= 1, (q, true, estimate)
    assert pytest.approx(sum(values)) == hist.total


def test_percentile_of_inf_bucket_is_bounded_by_the_maximum() -> None:
    """Latencies beyond the last bound never estimate above the slowest call."""
    counts = (0,) * len(LATENCY_BUCKETS) + (3,)
    hist = LatencyHistogram(counts=counts, total=1500.0, maximum=600.0)
    assert hist.p99 is not None
    assert 300.0 < hist.p99 <= 600.0
    with pytest.raises(ValueError, match="q must be"):
        hist.percentile(0.0)


def test_histogram_is_fixed_size() -> None:
    """Recording many latencies never grows the stored data."""
    rec = core.function("fixed")
    for _ in range(5000):
        rec.succeeded(1, 0.05)
    assert len(LATENCY_BUCKETS) + 1 == len(metrics.snapshot().function("fixed").latency.counts)


def test_threads_and_tasks_lose_no_increments() -> None:
    """32 threads and 200 asyncio tasks recording at once: every increment is counted."""
    rec = core.function("busy")
    per_thread, per_task = 500, 50
    start = threading.Barrier(32)

    def work() -> None:
        start.wait()
        for i in range(per_thread):
            rec.retried(ErrorCategory.SERVER)
            rec.succeeded(2, 0.001 * (i % 7))

    async def task() -> None:
        for _ in range(per_task):
            rec.retried(ErrorCategory.TIMEOUT)
            await asyncio.sleep(0)
            rec.gave_up_after(2, 0.3, ErrorCategory.TIMEOUT, "max_attempts")

    async def tasks() -> None:
        await asyncio.gather(*(task() for _ in range(200)))

    threads = [threading.Thread(target=work) for _ in range(32)]
    for t in threads:
        t.start()
    asyncio.run(tasks())
    for t in threads:
        t.join()
    m = metrics.snapshot().function("busy")
    thread_calls, task_calls = 32 * per_thread, 200 * per_task
    assert thread_calls + task_calls == m.calls
    assert thread_calls == m.successes
    assert task_calls == m.gave_up
    assert 2 * (thread_calls + task_calls) == m.attempts
    assert thread_calls + task_calls == m.retries
    assert {ErrorCategory.SERVER: thread_calls, ErrorCategory.TIMEOUT: 2 * task_calls} == dict(
        m.failures
    )
    assert thread_calls + task_calls == m.latency.count


def test_breaker_time_in_state_and_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A breaker's state timeline adds up and its outcomes are counted."""
    now = [100.0]
    monkeypatch.setattr(_clock, "monotonic", lambda: now[0])
    rec = core.breaker("db")
    rec.settled(failed=False)
    rec.ok()
    rec.failure_category(ErrorCategory.SERVER)
    rec.settled(failed=True)
    rec.settled(failed=True)  # a failure the breaker did not classify (slow call, predicate)
    rec.settled(failed=None)
    now[0] = 110.0
    rec.state_changed("open")
    rec.rejected()
    rec.rejected()
    now[0] = 140.0
    rec.state_changed("half_open")
    rec.state_changed("half_open")
    now[0] = 141.0
    b = metrics.snapshot().breaker("db")
    assert ("half_open", 5, 2, 1, 2, 2) == (
        b.state,
        b.calls,
        b.successes,
        b.ignored,
        b.rejections,
        b.transitions,
    )
    assert {"closed": 10.0, "open": 30.0, "half_open": 1.0} == dict(b.time_in_state)
    assert {ErrorCategory.SERVER: 1, ErrorCategory.UNKNOWN: 1} == dict(b.failures)


def test_breaker_successes_are_not_counted_while_disabled() -> None:
    """Successes made while metrics are disabled are skipped; reset() zeroes them."""
    rec = core.breaker("paused")
    rec.ok()
    metrics.disable()
    rec.ok()
    metrics.enable()
    rec.ok()
    assert 2 == metrics.snapshot().breaker("paused").successes
    metrics.reset()
    assert 0 == metrics.snapshot().breaker("paused").successes


def test_snapshot_to_dict_is_json_safe() -> None:
    """The snapshot serialises to JSON with categories as strings."""
    core.function("j").gave_up_after(3, 1.5, ErrorCategory.RATE_LIMIT, "max_attempts")
    core.breaker("j-breaker").rejected()
    data = json.loads(json.dumps(metrics.snapshot().to_dict()))
    assert {"rate_limit": 1} == data["functions"]["j"]["failures"]
    assert 1 == data["breakers"]["j-breaker"]["rejections"]


def test_summary_table_lists_functions_and_breakers() -> None:
    """The summary table has a row per function and breaker with counts and percentiles."""
    rec = core.function("summarize")
    rec.retried(ErrorCategory.RATE_LIMIT)
    rec.succeeded(2, 0.3)
    core.breaker("summary-breaker").rejected()
    table = metrics.snapshot().summary_table()
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["function", "calls", "ok", "gave"]
    row = next(line for line in lines if line.startswith("summarize"))
    assert row.split()[1:6] == ["1", "1", "0", "2", "1"]
    assert "rate_limit=1" in row
    assert any(line.startswith("summary-breaker") for line in lines)
    assert table == metrics.format_summary(metrics.snapshot())


def test_summary_of_nothing() -> None:
    """An empty snapshot says so instead of printing empty tables."""
    assert "(no calls recorded)" == metrics.format_summary(metrics.MetricsSnapshot())


def test_a_failing_sink_does_not_break_recording() -> None:
    """An exporter sink that raises is logged and the call is still counted."""

    def broken(_name: str, _latency: float, _ok: bool, _weight: int) -> None:
        raise RuntimeError("boom")

    remove = core.add_sink(broken)
    try:
        core.function("sinked").succeeded(1, 0.1)
    finally:
        remove()
    assert 1 == metrics.snapshot().function("sinked").calls
