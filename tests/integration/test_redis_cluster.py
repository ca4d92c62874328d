"""Every piece of shared state works on a 3-master Redis Cluster: one hash tag per object."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis.asyncio.cluster
from redis.crc import key_slot

import resilience_kit as rk
from resilience_kit.storage import RedisStorage
from resilience_kit.testing import no_wait
from tests.integration.redis_cluster import RedisCluster

pytestmark = [pytest.mark.integration, pytest.mark.redis]
RATE, CAP = (1.0, 100.0), (10.0, 1000.0)


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    """Three masters on loopback, joined into one cluster for this module."""
    started = RedisCluster()
    try:
        started.start()
        yield started
    finally:
        started.close()


@pytest.fixture
def storages(cluster: RedisCluster) -> Iterator[tuple[RedisStorage, RedisStorage]]:
    """Two storages (two 'processes') on the cluster."""
    clients = [cluster.client(), cluster.client()]
    pair = (RedisStorage(clients[0], prefix="rkc"), RedisStorage(clients[1], prefix="rkc"))
    yield pair
    for storage, client in zip(pair, clients, strict=True):
        storage.close()
        client.close()


def test_keys_of_one_object_share_a_slot(storages: tuple[RedisStorage, RedisStorage]) -> None:
    """A breaker's record and its probes hash to one slot; other objects spread out."""
    storage = storages[0]
    slot = key_slot
    record = storage._key("breaker", "b1")
    assert slot(record.encode()) == slot(storage._key("breaker", "b1", "probes").encode())
    requests = storage._key("budget", "x", "requests").encode()
    assert slot(requests) == slot(storage._key("budget", "x", "retries").encode())
    slots = {slot(storage._key("gate", f"g{i}").encode()) for i in range(20)}
    assert len(slots) > 1


def test_breaker_state_is_shared_on_the_cluster(
    storages: tuple[RedisStorage, RedisStorage],
) -> None:
    """A transition published by one storage is read by the other; probes lease per slot."""
    first, second = storages
    published = first.breaker_publish("c1", expected_generation=0, state="open", open_seconds=30)
    assert 1 == published.generation
    loaded = second.breaker_load("c1")
    assert loaded is not None
    assert "open" == loaded.state
    half = second.breaker_publish("c1", expected_generation=1, state="half_open")
    token = first.probe_acquire("c1", generation=half.generation, limit=1, lease_seconds=5)
    assert token is not None
    assert second.probe_acquire("c1", generation=half.generation, limit=1, lease_seconds=5) is None
    first.probe_release("c1", token)
    assert first.available
    assert second.available


def test_gate_and_budget_are_shared_on_the_cluster(
    storages: tuple[RedisStorage, RedisStorage],
) -> None:
    """A gate block and budget counts made through one storage hold for the other."""
    first, second = storages
    first.gate_extend("g1", 5.0)
    assert 4.0 < second.gate_remaining("g1") <= 5.0
    for _ in range(5):
        first.budget_record_request("b1", window=10.0)
    taken = [
        second.budget_try_retry("b1", ratio=0.2, min_per_second=0.0, window=10.0) for _ in range(3)
    ]
    assert [True, False, False] == taken
    assert first.available
    assert second.available


def test_token_budget_is_shared_on_the_cluster(
    storages: tuple[RedisStorage, RedisStorage],
) -> None:
    """What one process took leaves less for the other; a refused take holds nothing."""
    first, second = storages
    one = first.tokens_take("t1", cost=(1.0, 800.0), rate=RATE, cap=CAP)
    assert 0.0 == one.wait
    assert one.sent == (1.0, 800.0)
    two = second.tokens_take("t1", cost=(1.0, 800.0), rate=RATE, cap=CAP)
    assert two.sent is None
    assert 5.5 < two.wait <= 6.0
    assert (2.0, 900.0) == second.tokens_take("t1", cost=(1.0, 100.0), rate=RATE, cap=CAP).sent
    assert first.available
    assert second.available


def test_token_limiter_over_the_cluster() -> None:
    """TokenLimiter with RedisStorage on a cluster client: declared limits hold across storages."""
    cluster = RedisCluster()
    cluster.start()
    try:
        client = cluster.client()
        storage = RedisStorage(client, prefix="rkl")
        limiter = rk.TokenLimiter(rpm=2, storage=storage)
        other = rk.TokenLimiter(rpm=2, storage=RedisStorage(cluster.client(), prefix="rkl"))
        with no_wait() as waited:
            with limiter:
                pass
            with other:
                pass
            with limiter:
                pass
        assert [pytest.approx(30.0, abs=0.5)] == waited.sleeps
        assert storage.available
    finally:
        cluster.close()


def test_asyncio_cluster_client(cluster: RedisCluster) -> None:
    """A redis.asyncio RedisCluster serves the a* methods through the same scripts."""

    async def main() -> tuple[float, float]:
        client = redis.asyncio.cluster.RedisCluster(host="127.0.0.1", port=cluster.ports[0])
        storage = RedisStorage(client, prefix="rka")
        try:
            await storage.agate_extend("g", 5.0)
            remaining = await storage.agate_remaining("g")
            await storage.atokens_take("t", cost=(1.0, 900.0), rate=RATE, cap=CAP)
            later = await storage.atokens_take("t", cost=(1.0, 300.0), rate=RATE, cap=CAP)
            assert storage.available
            return remaining, later.wait
        finally:
            await storage.aclose()
            await client.aclose()

    remaining, wait = asyncio.run(main())
    assert 4.0 < remaining <= 5.0
    assert 1.9 < wait <= 2.0
