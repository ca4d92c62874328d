"""A closed breaker never serializes calls: it holds its lock only to admit and record."""

from __future__ import annotations

import threading
import time

import pytest

import resilience_kit as rk

pytestmark = pytest.mark.integration


def test_32_threads_through_closed_breaker_run_in_parallel() -> None:
    """32 threads calling a 50 ms backend through a closed breaker take about 50 ms in total."""
    breaker = rk.CircuitBreaker("parallel")
    threads = 32
    start = threading.Barrier(threads + 1)

    @breaker
    def backend() -> None:
        time.sleep(0.05)  # a real wait: the point is wall-clock parallelism

    def worker() -> None:
        start.wait()
        backend()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    print(f"32 threads x 50 ms through a closed breaker: {elapsed * 1000:.1f} ms")
    assert elapsed < threads * 0.05 / 4  # serialized calls would take 1.6 s
    assert 32 == breaker.snapshot().calls
