"""Breakers in several processes share transitions and probe permits through a Storage."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit import CircuitState
from resilience_kit.storage import BreakerRecord, MemoryStorage
from tests.unit._breaker_helpers import Clock

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


class CountingStorage(MemoryStorage):
    """MemoryStorage that counts the breaker methods called, sync and async."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock=clock)
        self.calls: Counter[str] = Counter()

    def breaker_load(self, name: str) -> BreakerRecord | None:
        self.calls["breaker_load"] += 1
        return super().breaker_load(name)

    def breaker_publish(self, name: str, **kwargs: Any) -> BreakerRecord:
        self.calls[f"publish_{kwargs['state']}"] += 1
        return super().breaker_publish(name, **kwargs)

    async def abreaker_load(self, name: str) -> BreakerRecord | None:
        self.calls["abreaker_load"] += 1
        return super().breaker_load(name)

    async def abreaker_publish(self, name: str, **kwargs: Any) -> BreakerRecord:
        self.calls[f"apublish_{kwargs['state']}"] += 1
        return super().breaker_publish(name, **kwargs)


def pair(clock: Clock, storage: MemoryStorage, **options: Any) -> list[rk.CircuitBreaker]:
    """Two breakers of one name on one storage: two processes, as far as they can tell."""
    options = {"failure_threshold": 1, "recovery_timeout": 10.0, **options}
    return [rk.CircuitBreaker("api", clock=clock, storage=storage, **options) for _ in range(2)]


def fail(breaker: rk.CircuitBreaker) -> None:
    with pytest.raises(ConnectionError), breaker:
        raise ConnectionError


def test_trip_in_one_process_reaches_the_other_within_sync_interval() -> None:
    """B sees A's trip once sync_interval has passed, and then rejects without calling."""
    clock = Clock()
    a, b = pair(clock, MemoryStorage(clock=clock), sync_interval=1.0)
    with b:
        pass  # B has synced once
    fail(a)
    with b:
        pass  # still within B's staleness bound
    clock.advance(1.0)
    assert OPEN == b.state
    with pytest.raises(rk.CircuitOpenError) as info, b:
        pass
    assert 9.0 == pytest.approx(info.value.retry_after)


def test_one_probe_across_processes_and_close_is_shared() -> None:
    """Half-open admits one probe across both processes; its success closes both."""
    clock = Clock()
    a, b = pair(clock, MemoryStorage(clock=clock), sync_interval=0.0)
    fail(a)
    clock.advance(10.0)
    with a, pytest.raises(rk.CircuitOpenError), b:
        pass
    assert CLOSED == a.state
    assert CLOSED == b.state


def test_simultaneous_trips_make_one_transition() -> None:
    """Two processes tripping from the same generation publish one transition (CAS)."""
    clock = Clock()
    storage = MemoryStorage(clock=clock)
    a, b = pair(clock, storage, sync_interval=100.0)
    for breaker in (a, b):
        with breaker:
            pass  # both read generation 0
    fail(a)
    fail(b)
    record = storage.breaker_load("api")
    assert record is not None
    assert (1, "open", 1) == (record.generation, record.state, record.trips)
    assert 1 == b.snapshot().generation


def test_crashed_prober_lease_expires() -> None:
    """A probe that never reports back blocks other probes only for probe_lease seconds."""
    clock = Clock()
    a, b = pair(clock, MemoryStorage(clock=clock), sync_interval=0.0, probe_lease=5.0)
    fail(a)
    clock.advance(10.0)
    a.__enter__()  # a probe whose process dies: never exits
    with pytest.raises(rk.CircuitOpenError), b:
        pass
    clock.advance(5.0)
    with b:
        pass
    assert CLOSED == b.state


def test_closed_path_reads_storage_at_most_every_sync_interval() -> None:
    """Healthy calls do not touch storage except one load per sync_interval."""
    clock = Clock()
    storage = CountingStorage(clock)
    breaker = rk.CircuitBreaker("api", storage=storage, clock=clock, sync_interval=1.0)
    for _ in range(100):
        with breaker:
            pass
    clock.advance(1.0)
    for _ in range(100):
        with breaker:
            pass
    assert {"breaker_load": 2} == dict(storage.calls)


async def test_async_paths_use_async_storage_methods() -> None:
    """Async calls reach storage through the a* methods only."""
    clock = Clock()
    storage = CountingStorage(clock)
    breaker = rk.CircuitBreaker(
        "api", failure_threshold=1, recovery_timeout=1.0, storage=storage, clock=clock
    )

    @breaker
    async def call(*, ok: bool) -> None:
        if not ok:
            raise ConnectionError

    with pytest.raises(ConnectionError):
        await call(ok=False)
    clock.advance(1.0)
    await call(ok=True)
    assert {
        "abreaker_load": 2,
        "apublish_open": 1,
        "apublish_half_open": 1,
        "apublish_closed": 1,
    } == dict(storage.calls)


def test_storage_behind_the_breaker_is_never_adopted() -> None:
    """A shared record older than ours (key lost, late answer) is ignored and written over."""
    clock = Clock()
    storage = MemoryStorage(clock=clock)
    breaker = rk.CircuitBreaker(
        "api", failure_threshold=1, recovery_timeout=1.0, storage=storage, clock=clock
    )
    fail(breaker)
    clock.advance(1.0)
    with breaker:
        pass  # open, half-open, closed: generation 3
    assert 3 == breaker.snapshot().generation
    other = MemoryStorage(clock=clock)
    other.breaker_publish("api", expected_generation=0, state="open", open_seconds=10.0, trips=1)
    storage._breakers = other._breakers  # the stored record went back to generation 1
    clock.advance(1.0)
    assert (CLOSED, 3) == (breaker.state, breaker.snapshot().generation)
    with breaker:
        pass  # admitted: this process's newer state stands
    record = storage.breaker_load("api")
    assert record is not None
    assert ("closed", 3) == (record.state, record.generation)  # and was written back


def test_a_probe_outcome_that_loses_to_another_process_moves_legally() -> None:
    """Two processes' probes decide at once: the loser adopts the winner's answer from
    half-open, never passing through a state it did not win (no open -> closed)."""
    clock = Clock()
    storage = MemoryStorage(clock=clock)
    a, b = pair(clock, storage, recovery_timeout=1.0, sync_interval=0.0, half_open_max_calls=2)
    seen: list[tuple[CircuitState, CircuitState]] = []
    b.add_listener(lambda _name, old, new: seen.append((old, new)))
    fail(a)
    clock.advance(1.0)
    a_core, b_core = a._core, b._core
    a_probe, b_probe = a_core.admit(), b_core.admit()  # both half-open, one probe each
    plan = a_core.ok(a_probe)  # a closes the shared circuit first
    assert plan is not None
    a_core.run(plan)
    plan = b_core.raised(b_probe, ConnectionError("down"))  # b's failed probe comes too late
    assert plan is not None
    b_core.run(plan)
    assert (CLOSED, CLOSED) == (a.state, b.state)
    assert [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)] == seen
