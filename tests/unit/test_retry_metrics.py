"""``@retry`` feeds the metrics: counts per function, concurrency, and the off switch."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

import resilience_kit as rk
from resilience_kit import ErrorCategory, metrics
from resilience_kit.testing import no_wait
from tests.unit.retry_support import KINDS, Script, ScriptedError, classify_scripted, make, run


@pytest.fixture(autouse=True)
def scripted_map() -> Iterator[None]:
    """Teach classify() about ScriptedError and start from zeroed metrics."""
    unregister = rk.register_exception_map(classify_scripted, name="scripted-metrics")
    metrics.reset()
    yield
    unregister()
    metrics.enable()
    metrics.reset()


@pytest.mark.parametrize("kind", KINDS)
async def test_retry_counts_calls_attempts_and_categories(kind: str) -> None:
    """Two calls, one retried then fine, one quota stop: every counter says exactly that."""
    fine = make(kind, Script(ScriptedError(ErrorCategory.RATE_LIMIT, retry_after=1.0)))
    stopped = make(kind, Script(ScriptedError(ErrorCategory.QUOTA)))
    with no_wait():
        await run(fine)
        with pytest.raises(ScriptedError):
            await run(stopped)
    snap = metrics.snapshot()
    names = {"sync": "sync_fn", "async": "async_fn", "generator": "gen_fn"}
    name = f"make.<locals>.{names.get(kind, 'agen_fn')}"
    m = snap.function(name)
    assert (2, 3, 1, 1, 1) == (m.calls, m.attempts, m.retries, m.successes, m.gave_up)
    assert {ErrorCategory.RATE_LIMIT: 1, ErrorCategory.QUOTA: 1} == dict(m.failures)
    assert {"not_retryable": 1} == dict(m.gave_up_reasons)
    assert m.latency.maximum >= 1.0


def test_stream_failure_after_first_item_counts_as_gave_up() -> None:
    """A generator that fails after yielding is one call that gave up, not a success."""

    @rk.retry
    def stream() -> Iterator[str]:
        yield "first"
        raise ScriptedError(ErrorCategory.OVERLOADED)

    with pytest.raises(ScriptedError):
        list(stream())
    m = metrics.snapshot().function(stream.__qualname__)
    assert (1, 0, 1) == (m.calls, m.successes, m.gave_up)
    assert {"after_first_item": 1} == dict(m.gave_up_reasons)


def test_32_threads_and_200_tasks_through_retry_lose_nothing() -> None:
    """Concurrent decorated calls from 32 threads and 200 tasks are all counted exactly."""
    local = threading.local()
    lock = threading.Lock()
    calls = {"n": 0}

    @rk.retry(max_attempts=3, deadline=None)
    def flaky() -> str:
        with lock:
            calls["n"] += 1
        local.n = getattr(local, "n", 0) + 1
        if local.n % 4 == 0:  # every fourth attempt of a thread fails, so a retry then succeeds
            raise ScriptedError(ErrorCategory.SERVER)
        return "ok"

    @rk.retry(max_attempts=3, deadline=None)
    async def async_flaky(i: int) -> str:
        await asyncio.sleep(0)
        if i % 5 == 0 and async_attempts.setdefault(i, 0) == 0:
            async_attempts[i] = 1
            raise ScriptedError(ErrorCategory.TIMEOUT)
        return "ok"

    async_attempts: dict[int, int] = {}
    per_thread = 40
    barrier = threading.Barrier(32)

    def work() -> None:
        barrier.wait()
        for _ in range(per_thread):
            flaky()

    async def tasks() -> None:
        await asyncio.gather(*(async_flaky(i) for i in range(200)))

    with no_wait():
        threads = [threading.Thread(target=work) for _ in range(32)]
        for t in threads:
            t.start()
        asyncio.run(tasks())
        for t in threads:
            t.join()
    snap = metrics.snapshot()
    m = snap.function(flaky.__qualname__)
    assert 32 * per_thread == m.calls == m.successes
    assert calls["n"] == m.attempts
    assert calls["n"] - 32 * per_thread == m.retries == m.failures[ErrorCategory.SERVER]
    a = snap.function(async_flaky.__qualname__)
    assert (200, 240, 40) == (a.calls, a.attempts, a.retries)


def test_disabled_metrics_record_nothing_and_new_decorators_skip_them() -> None:
    """metrics.disable() stops counting at once; decorators built meanwhile carry no observer."""
    built_before = make("sync", Script())
    metrics.disable()
    built_during = make("sync", Script())
    built_before()
    built_during()
    assert {} == dict(metrics.snapshot().functions)
    metrics.enable()
    built_before()
    built_during()
    assert 1 == metrics.snapshot().function(built_before.__qualname__).calls


def test_many_first_attempt_successes_counted_exactly() -> None:
    """5000 quick successes: exact counts, and every call is in the latency histogram."""

    @rk.retry
    def quick() -> int:
        return 1

    for _ in range(5000):
        quick()
    m = metrics.snapshot().function(quick.__qualname__)
    assert (5000, 5000, 5000, 0) == (m.calls, m.successes, m.attempts, m.retries)
    assert 5000 == m.latency.count
    for _ in range(3):
        quick()
    assert 5003 == metrics.snapshot().function(quick.__qualname__).calls
