"""The open spell never ends before what a rejection announced (32 threads, a real clock).

Checked from the public API only. A rejection that ended at ``a1`` and started at ``a0`` with
``retry_after=r`` says: no call is admitted before ``a0 + r``. A call that started after ``a1`` and
reached the backend at ``t`` was admitted at or before ``t``; a read that started after ``a1`` and
ended at ``t`` saw the state at or before ``t``. Either one before ``a0 + r - 2 ms`` is a breach
(every bound is taken on the safe side, so what the test counts is a real breach).

The CI run takes about 2 s per recovery timeout; set ``RESILIENCE_KIT_STRESS_SECONDS`` for longer.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from dataclasses import dataclass, field

import pytest

import resilience_kit as rk
from resilience_kit import CircuitState

pytestmark = pytest.mark.integration

SECONDS = float(os.environ.get("RESILIENCE_KIT_STRESS_SECONDS", "2"))
THREADS = 32
MARGIN = 0.002


@dataclass
class Log:
    """What the threads saw: rejections, admissions and reads (monotonic seconds)."""

    announced: list[tuple[float, float]] = field(default_factory=list)  # (ended, refuses until)
    admitted: list[tuple[float, float]] = field(default_factory=list)  # (started, in backend)
    reads: list[tuple[float, float]] = field(default_factory=list)  # (started, ended) not open
    lock: threading.Lock = field(default_factory=threading.Lock)


def _caller(breaker: rk.CircuitBreaker, log: Log, stop: float, reader: bool) -> None:
    @breaker
    def backend(started: float) -> None:
        inside = time.monotonic()
        with log.lock:
            log.admitted.append((started, inside))
        raise ConnectionError("down")

    while time.monotonic() < stop:
        if reader:
            started = time.monotonic()
            state = breaker.state if started * 1000 % 2 < 1 else breaker.snapshot().state
            ended = time.monotonic()
            if state is not CircuitState.OPEN:
                with log.lock:
                    log.reads.append((started, ended))
            continue
        started = time.monotonic()
        try:
            backend(started)
        except rk.CircuitOpenError as exc:
            ended = time.monotonic()
            with log.lock:
                log.announced.append((ended, started + exc.retry_after))
        except ConnectionError:
            pass


def _breaches(log: Log) -> list[float]:
    """How early (seconds) each admission or read came before an announced end."""
    announced = sorted(log.announced)
    ends = [ended for ended, _ in announced]
    latest: list[float] = []
    best = float("-inf")
    for _, until in announced:
        best = max(best, until)
        latest.append(best)
    early: list[float] = []
    for started, seen in [*log.admitted, *log.reads]:
        i = bisect.bisect_left(ends, started)  # announcements that ended before this began
        if i and seen < latest[i - 1] - MARGIN:
            early.append(latest[i - 1] - seen)
    return early


@pytest.mark.parametrize("recovery", [0.02, 0.2])
def test_no_call_or_read_before_the_announced_end(recovery: float) -> None:
    breaker = rk.CircuitBreaker(
        f"spell-{recovery}",
        failure_threshold=1,
        recovery_timeout=recovery,
        half_open_max_calls=2,
        clock=time.monotonic,
    )
    log = Log()
    stop = time.monotonic() + SECONDS
    threads = [
        threading.Thread(target=_caller, args=(breaker, log, stop, i % 8 == 0))
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log.announced) > 100
    assert len(log.admitted) >= 3  # probes, one or two per open spell
    early = _breaches(log)
    assert [] == early, f"{len(early)} breaches, worst {max(early) * 1000:.1f} ms early"
