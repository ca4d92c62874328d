"""Redis dies mid-run: calls go on with local state, no exception; sharing resumes on restart."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from structlog.testing import capture_logs

import resilience_kit as rk
from resilience_kit.storage import RedisStorage
from tests.integration.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.redis]
RETRY = 0.1
SYNC = 0.02


def breaker(storage: RedisStorage) -> rk.CircuitBreaker:
    return rk.CircuitBreaker(
        "outage", failure_threshold=2, recovery_timeout=30, storage=storage, sync_interval=SYNC
    )


def test_kill_and_restart_redis(own_server: RedisServer) -> None:
    """Killed: calls run on local state, one storage_unavailable per storage; restarted: the
    trip made during the outage is written back and the other process rejects again."""
    prefix = f"o-{uuid.uuid4().hex[:8]}"
    clients = [own_server.client(), own_server.client()]
    one, two = (RedisStorage(c, prefix=prefix, retry_interval=RETRY) for c in clients)
    a, b = breaker(one), breaker(two)
    for item in (a, b):
        with item:
            pass
    own_server.kill()
    with capture_logs() as logs:
        for _ in range(3):
            time.sleep(SYNC)  # a real wait: past sync_interval, so the breakers ask storage
            for item in (a, b):
                with item:
                    pass
        for _ in range(2):
            with pytest.raises(ConnectionError), a:
                raise ConnectionError("backend down")
        with pytest.raises(rk.CircuitOpenError):
            a.__enter__()
        assert 2.0 == pytest.approx(one.gate_extend("g", 2.0), abs=0.01)
        assert one.budget_try_retry("r", ratio=0.0, min_per_second=1, window=1)
        assert not one.available
        assert not two.available
        own_server.start()
        time.sleep(RETRY + SYNC)  # a real wait: the storages try Redis again after RETRY
        with pytest.raises(rk.CircuitOpenError):
            a.__enter__()  # resyncs: the trip made while Redis was away is written back
        time.sleep(SYNC)
        with pytest.raises(rk.CircuitOpenError):
            b.__enter__()
    events = [entry["event"] for entry in logs]
    assert 2 == events.count("storage_unavailable")
    assert 2 == events.count("storage_recovered")
    assert one.available
    assert two.available
    assert 1.5 < two.gate_remaining("g") <= 2.0  # the block set during the outage, written back
    for storage, client in zip((one, two), clients, strict=True):
        storage.close()
        client.close()


def test_slow_redis_answers_within_the_timeout(own_server: RedisServer) -> None:
    """A server that stops answering costs one bounded timeout, then local answers at once."""
    client = own_server.client()
    storage = RedisStorage(client, prefix=f"s-{uuid.uuid4().hex[:8]}", op_timeout=0.05)
    assert 0.0 == storage.gate_remaining("g")
    pauser = own_server.client()
    pauser.client_pause(500)  # the server holds every client's command for 0.5 s
    began = time.monotonic()
    assert 0.0 == storage.gate_remaining("g")
    first = time.monotonic() - began
    began = time.monotonic()
    assert 1.0 == storage.gate_extend("g", 1.0)
    second = time.monotonic() - began
    assert first < 0.3
    assert second < 0.01
    assert not storage.available
    storage.close()
    pauser.close()
    client.close()
    assert isinstance(client, redis.Redis)


def test_a_release_redis_missed_is_sent_after_the_outage(own_server: RedisServer) -> None:
    """A probe's release that times out is not left in Redis: a lease there would hold the only
    slot for all of probe_lease (60 s), fleet-wide, and the circuit could not close."""
    client, pauser = own_server.client(), own_server.client()
    storage = RedisStorage(
        client, prefix=f"r-{uuid.uuid4().hex[:8]}", op_timeout=0.05, retry_interval=0.0
    )
    record = storage.breaker_publish(
        "b", expected_generation=0, state="half_open", open_seconds=0.0, trips=1
    )
    assert record is not None
    generation = record.generation
    token = storage.probe_acquire("b", generation=generation, limit=1, lease_seconds=60)
    assert token is not None
    pauser.client_pause(5000, all=False)  # writes wait: the release times out
    storage.probe_release("b", token)
    pauser.client_unpause()
    assert not storage.available
    again = storage.probe_acquire("b", generation=generation, limit=1, lease_seconds=60)
    assert storage.available  # this acquire reached Redis, after the missed release
    assert again is not None  # limit 1: the first lease is gone
    storage.close()
    pauser.close()
    client.close()


async def test_an_async_release_redis_missed_is_sent_after_the_outage(
    own_server: RedisServer,
) -> None:
    client, pauser = redis.asyncio.Redis(port=own_server.port), own_server.client()
    storage = RedisStorage(
        client, prefix=f"r-{uuid.uuid4().hex[:8]}", op_timeout=0.05, retry_interval=0.0
    )
    record = await storage.abreaker_publish(
        "b", expected_generation=0, state="half_open", open_seconds=0.0, trips=1
    )
    assert record is not None
    token = await storage.aprobe_acquire(
        "b", generation=record.generation, limit=1, lease_seconds=60
    )
    assert token is not None
    pauser.client_pause(5000, all=False)
    await storage.aprobe_release("b", token)
    pauser.client_unpause()
    assert not storage.available
    again = await storage.aprobe_acquire(
        "b", generation=record.generation, limit=1, lease_seconds=60
    )
    assert storage.available
    assert again is not None
    await storage.aclose()
    await client.aclose()
    pauser.close()
