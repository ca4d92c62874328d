"""Half-open admits exactly half_open_max_calls probes under threads and asyncio tasks."""

from __future__ import annotations

import asyncio
import threading

import pytest

import resilience_kit as rk
from resilience_kit import CircuitState
from resilience_kit.storage import BreakerRecord, BreakerStateName, MemoryStorage
from tests.unit._breaker_helpers import Clock

STORAGES = pytest.mark.parametrize("shared", ["private", "memory", "yielding"])
LIMITS = pytest.mark.parametrize("limit", [1, 3])


class YieldingStorage(MemoryStorage):
    """MemoryStorage whose async methods really suspend, as a networked backend's do."""

    async def abreaker_load(self, name: str) -> BreakerRecord | None:
        await asyncio.sleep(0)
        return self.breaker_load(name)

    async def abreaker_publish(
        self,
        name: str,
        *,
        expected_generation: int,
        state: BreakerStateName,
        open_seconds: float = 0.0,
        trips: int = 0,
    ) -> BreakerRecord:
        await asyncio.sleep(0)
        return self.breaker_publish(
            name,
            expected_generation=expected_generation,
            state=state,
            open_seconds=open_seconds,
            trips=trips,
        )

    async def aprobe_acquire(
        self, name: str, *, generation: int, limit: int, lease_seconds: float
    ) -> str | None:
        await asyncio.sleep(0)
        return self.probe_acquire(
            name, generation=generation, limit=limit, lease_seconds=lease_seconds
        )


def half_open_breaker(limit: int, *, shared: str) -> tuple[rk.CircuitBreaker, Clock]:
    clock = Clock()
    storages = {
        "private": None,
        "memory": MemoryStorage(clock=clock),
        "yielding": YieldingStorage(clock=clock),
    }
    breaker = rk.CircuitBreaker(
        "backend",
        failure_threshold=1,
        recovery_timeout=5.0,
        half_open_max_calls=limit,
        clock=clock,
        storage=storages[shared],
        sync_interval=0.0,
    )
    with pytest.raises(TimeoutError), breaker:
        raise TimeoutError
    clock.advance(5.0)
    assert CircuitState.HALF_OPEN == breaker.state
    return breaker, clock


@STORAGES
@LIMITS
def test_32_threads_on_half_open_reach_backend_exactly_limit_times(limit: int, shared: str) -> None:
    """32 threads on a half-open breaker whose backend still fails: exactly `limit` reach it."""
    breaker, _ = half_open_breaker(limit, shared=shared)
    threads = 32
    hits: list[int] = []
    rejected: list[rk.CircuitOpenError] = []
    all_rejected = threading.Event()
    start = threading.Barrier(threads)
    lock = threading.Lock()

    @breaker
    def backend() -> None:
        with lock:
            hits.append(1)
        all_rejected.wait(timeout=5.0)  # hold the probe until every other caller was turned away
        raise ConnectionError("still down")

    def worker() -> None:
        start.wait()
        try:
            backend()
        except rk.CircuitOpenError as exc:
            with lock:
                rejected.append(exc)
                if len(rejected) == threads - limit:
                    all_rejected.set()
        except ConnectionError:
            pass

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=10.0)
    assert limit == len(hits)
    assert threads - limit == len(rejected)
    assert CircuitState.OPEN == breaker.state


@STORAGES
@LIMITS
async def test_500_tasks_on_half_open_reach_backend_exactly_limit_times(
    limit: int, shared: str
) -> None:
    """500 tasks on a half-open breaker whose backend still fails: exactly `limit` reach it."""
    breaker, _ = half_open_breaker(limit, shared=shared)
    tasks = 500
    hits = 0
    rejected = 0
    all_rejected = asyncio.Event()

    @breaker
    async def backend() -> None:
        nonlocal hits
        hits += 1
        await asyncio.wait_for(all_rejected.wait(), timeout=5.0)
        raise ConnectionError("still down")

    async def worker() -> None:
        nonlocal rejected
        try:
            await backend()
        except rk.CircuitOpenError:
            rejected += 1
            if rejected == tasks - limit:
                all_rejected.set()
        except ConnectionError:
            pass

    await asyncio.gather(*(worker() for _ in range(tasks)))
    assert limit == hits
    assert tasks - limit == rejected
    assert CircuitState.OPEN == breaker.state


async def test_cancelled_probe_neither_closes_nor_reopens() -> None:
    """A cancelled half-open probe leaves the circuit HALF_OPEN and the next probe is admitted."""
    breaker, _ = half_open_breaker(1, shared="yielding")
    started = asyncio.Event()

    @breaker
    async def hang() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(hang())
    await started.wait()
    with pytest.raises(rk.CircuitOpenError):
        await hang()  # the one permit is taken
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert CircuitState.HALF_OPEN == breaker.state
    assert 0 == breaker.snapshot().probes_in_flight

    @breaker
    async def ok() -> str:
        return "ok"

    assert "ok" == await ok()
    assert CircuitState.CLOSED == breaker.state


def test_keyboard_interrupt_in_probe_is_ignored() -> None:
    """KeyboardInterrupt in a probe is ignored: the permit is released, nothing counted."""
    breaker, _ = half_open_breaker(1, shared="private")

    @breaker
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert CircuitState.HALF_OPEN == breaker.state
    assert 0 == breaker.snapshot().probes_in_flight
