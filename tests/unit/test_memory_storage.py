"""MemoryStorage: the contract every storage backend follows."""

from __future__ import annotations

import asyncio

import pytest

import resilience_kit as rk
from resilience_kit import ConfigurationError
from resilience_kit.storage import (
    BreakerRecord,
    BreakerStore,
    BudgetStore,
    GateStore,
    MemoryStorage,
    Storage,
    TokenStore,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_publish_is_compare_and_set_on_generation() -> None:
    """Only the publisher that saw the current generation moves the breaker."""
    storage = MemoryStorage(clock=Clock())
    first = storage.breaker_publish("b", expected_generation=0, state="open", open_seconds=5)
    late = storage.breaker_publish("b", expected_generation=0, state="closed")
    assert BreakerRecord("open", 1, 5.0, 0) == first
    assert first == late
    assert BreakerRecord("open", 1, 5.0, 0) == storage.breaker_load("b")


def test_publish_over_a_record_that_is_behind_wins() -> None:
    """A publisher that knows a newer generation than the stored one overwrites it."""
    storage = MemoryStorage(clock=Clock())
    storage.breaker_publish("b", expected_generation=0, state="open", open_seconds=5)
    ahead = storage.breaker_publish("b", expected_generation=6, state="half_open")
    assert BreakerRecord("half_open", 7, 0.0, 0) == ahead
    assert ahead == storage.breaker_load("b")


def test_open_remaining_counts_down_and_never_goes_negative() -> None:
    """open_remaining follows the clock down to 0.0."""
    clock = Clock()
    storage = MemoryStorage(clock=clock)
    storage.breaker_publish("b", expected_generation=0, state="open", open_seconds=5, trips=2)
    clock.now += 3
    assert BreakerRecord("open", 1, 2.0, 2) == storage.breaker_load("b")
    clock.now += 10
    assert 0.0 == storage.breaker_load("b").open_remaining  # type: ignore[union-attr]
    assert storage.breaker_load("other") is None


def test_probe_leases_limit_expire_and_release() -> None:
    """Exactly `limit` probes at once; released or expired leases free a slot."""
    clock = Clock()
    storage = MemoryStorage(clock=clock)
    record = storage.breaker_publish("b", expected_generation=0, state="half_open")
    gen = record.generation
    tokens = [
        storage.probe_acquire("b", generation=gen, limit=2, lease_seconds=1) for _ in range(3)
    ]
    assert [True, True, False] == [t is not None for t in tokens]
    storage.probe_release("b", tokens[0])  # type: ignore[arg-type]
    assert storage.probe_acquire("b", generation=gen, limit=2, lease_seconds=1) is not None
    assert storage.probe_acquire("b", generation=gen, limit=2, lease_seconds=1) is None
    clock.now += 1.5
    assert storage.probe_acquire("b", generation=gen, limit=2, lease_seconds=1) is not None
    assert storage.probe_acquire("b", generation=gen + 1, limit=2, lease_seconds=1) is None
    assert storage.probe_acquire("missing", generation=1, limit=2, lease_seconds=1) is None
    storage.probe_release("missing", "x")


def test_gate_extend_keeps_the_longest_block() -> None:
    """A shorter hint never shortens an existing block."""
    clock = Clock()
    storage = MemoryStorage(clock=clock)
    assert 0.0 == storage.gate_remaining("g")
    assert 5.0 == storage.gate_extend("g", 5)
    assert 5.0 == storage.gate_extend("g", 1)
    clock.now += 4
    assert 1.0 == storage.gate_remaining("g")
    clock.now += 2
    assert 0.0 == storage.gate_remaining("g")


def test_budget_allows_ratio_of_requests_plus_floor() -> None:
    """10 requests at ratio 0.2 plus a floor of 1/s over 2 s allow 4 retries in the window."""
    clock = Clock()
    storage = MemoryStorage(clock=clock)
    for _ in range(10):
        storage.budget_record_request("r", window=2)
    granted = [
        storage.budget_try_retry("r", ratio=0.2, min_per_second=1, window=2) for _ in range(6)
    ]
    assert [True, True, True, True, False, False] == granted
    clock.now += 2.5  # the window slides past everything
    assert storage.budget_try_retry("r", ratio=0.2, min_per_second=1, window=2)


async def test_async_variants_share_the_sync_state() -> None:
    """The async methods see and change the same state as the sync ones."""
    storage = MemoryStorage(clock=Clock())
    record = await storage.abreaker_publish("b", expected_generation=0, state="half_open")
    assert record == await storage.abreaker_load("b")
    token = await storage.aprobe_acquire("b", generation=1, limit=1, lease_seconds=1)
    assert token is not None
    await storage.aprobe_release("b", token)
    assert 3.0 == await storage.agate_extend("g", 3)
    assert 3.0 == await storage.agate_remaining("g")
    await storage.abudget_record_request("r", window=1)
    assert await storage.abudget_try_retry("r", ratio=0.0, min_per_second=1, window=1)
    assert not await asyncio.create_task(
        storage.abudget_try_retry("r", ratio=0.0, min_per_second=1, window=1)
    )


class GateOnly(GateStore):
    """A backend that holds gate blocks and nothing else (a dict, no clock: enough here)."""

    def __init__(self) -> None:
        self.blocks: dict[str, float] = {}

    def gate_extend(self, name: str, seconds: float) -> float:
        self.blocks[name] = max(self.blocks.get(name, 0.0), seconds)
        return self.blocks[name]

    def gate_remaining(self, name: str) -> float:
        return self.blocks.get(name, 0.0)


def test_a_gate_only_backend_serves_a_gate() -> None:
    """A backend implementing only GateStore (two methods) is enough for RateLimitGate, and the
    async twins default to its sync methods."""
    store = GateOnly()
    gate = rk.RateLimitGate("g", storage=store, max_wait=1.0, pace=False)
    store.gate_extend("g", 5.0)
    with pytest.raises(rk.GateClosedError), gate:
        pass
    assert 5.0 == asyncio.run(gate.aremaining())


def test_tools_refuse_a_store_of_another_tool() -> None:
    """Each tool checks its storage's store type at construction, naming the field."""
    with pytest.raises(ConfigurationError, match=r"storage.*GateStore"):
        rk.RateLimitGate("g", storage=object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"storage.*BudgetStore"):
        rk.RetryBudget(storage=GateOnly())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"storage.*BreakerStore"):
        rk.CircuitBreaker("b", storage=GateOnly())  # type: ignore[arg-type]


def test_storage_is_all_four_stores() -> None:
    """Both backends are every store type; Storage means all four."""
    for kind in (BreakerStore, GateStore, BudgetStore, TokenStore):
        assert issubclass(Storage, kind)
        assert isinstance(MemoryStorage(), kind)
