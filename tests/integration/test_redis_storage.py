"""The Storage contract, run against MemoryStorage and against a real redis-server."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio

from resilience_kit.exceptions import ConfigurationError
from resilience_kit.storage import BreakerRecord, MemoryStorage, RedisStorage, Storage
from tests.integration.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.redis]
TICK = 0.05  # real waits: Redis keeps time on the server


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest, redis_server: RedisServer) -> Iterator[Storage]:
    """A fresh storage of each backend (a new key prefix per test on Redis)."""
    if request.param == "memory":
        yield MemoryStorage()
        return
    client = redis_server.client()
    store = RedisStorage(client, prefix=f"t-{uuid.uuid4().hex[:8]}")
    yield store
    store.close()
    client.close()


@pytest.fixture
async def astorage(redis_server: RedisServer) -> AsyncIterator[RedisStorage]:
    """A RedisStorage on an asyncio client."""
    client = redis.asyncio.Redis(port=redis_server.port)
    store = RedisStorage(client, prefix=f"a-{uuid.uuid4().hex[:8]}")
    yield store
    await store.aclose()
    await client.aclose()


def test_publish_is_compare_and_set_on_generation(storage: Storage) -> None:
    """Only the publisher that saw the current generation moves the breaker."""
    first = storage.breaker_publish("b", expected_generation=0, state="open", open_seconds=5)
    late = storage.breaker_publish("b", expected_generation=0, state="closed")
    assert ("open", 1, 0) == (first.state, first.generation, first.trips)
    assert 5.0 == pytest.approx(first.open_remaining, abs=0.01)
    assert (first.state, first.generation) == (late.state, late.generation)
    loaded = storage.breaker_load("b")
    assert loaded is not None
    assert ("open", 1) == (loaded.state, loaded.generation)
    assert storage.breaker_load("other") is None


def test_open_remaining_counts_down_in_milliseconds(storage: Storage) -> None:
    """open_remaining follows time down to 0.0 with sub-second precision."""
    storage.breaker_publish("b", expected_generation=0, state="open", open_seconds=0.15, trips=2)
    time.sleep(TICK)
    record = storage.breaker_load("b")
    assert record is not None
    assert 2 == record.trips
    assert 0.1 == pytest.approx(record.open_remaining, abs=0.04)
    time.sleep(0.12)
    assert BreakerRecord("open", 1, 0.0, 2) == storage.breaker_load("b")


def test_probe_leases_limit_expire_and_release(storage: Storage) -> None:
    """Exactly `limit` probes at once; released or expired leases free a slot."""
    gen = storage.breaker_publish("b", expected_generation=0, state="half_open").generation
    tokens = [
        storage.probe_acquire("b", generation=gen, limit=2, lease_seconds=TICK * 2)
        for _ in range(3)
    ]
    assert [True, True, False] == [t is not None for t in tokens]
    storage.probe_release("b", tokens[0])  # type: ignore[arg-type]
    assert storage.probe_acquire("b", generation=gen, limit=2, lease_seconds=TICK * 2)
    assert storage.probe_acquire("b", generation=gen, limit=2, lease_seconds=TICK * 2) is None
    time.sleep(TICK * 3)
    assert storage.probe_acquire("b", generation=gen, limit=2, lease_seconds=1) is not None
    assert storage.probe_acquire("b", generation=gen + 1, limit=2, lease_seconds=1) is None
    assert storage.probe_acquire("missing", generation=1, limit=2, lease_seconds=1) is None
    storage.probe_release("missing", "x")


def test_closing_drops_probe_leases_other_transitions_keep_them(storage: Storage) -> None:
    """A running probe still counts in the next half-open spell; closing frees every permit."""
    gen = storage.breaker_publish("b", expected_generation=0, state="half_open").generation
    assert storage.probe_acquire("b", generation=gen, limit=1, lease_seconds=10)
    gen = storage.breaker_publish("b", expected_generation=gen, state="open").generation
    gen = storage.breaker_publish("b", expected_generation=gen, state="half_open").generation
    assert storage.probe_acquire("b", generation=gen, limit=1, lease_seconds=10) is None
    gen = storage.breaker_publish("b", expected_generation=gen, state="closed").generation
    gen = storage.breaker_publish("b", expected_generation=gen, state="open").generation
    gen = storage.breaker_publish("b", expected_generation=gen, state="half_open").generation
    assert storage.probe_acquire("b", generation=gen, limit=1, lease_seconds=10) is not None


def test_gate_extend_keeps_the_longest_block(storage: Storage) -> None:
    """A shorter hint never shortens an existing block; the block ends on time."""
    assert 0.0 == storage.gate_remaining("g")
    assert 0.15 == pytest.approx(storage.gate_extend("g", 0.15), abs=0.01)
    assert 0.15 == pytest.approx(storage.gate_extend("g", 0.05), abs=0.02)
    assert 0.15 == pytest.approx(storage.gate_remaining("g"), abs=0.02)
    time.sleep(0.17)
    assert 0.0 == storage.gate_remaining("g")


def test_budget_allows_ratio_of_requests_plus_floor(storage: Storage) -> None:
    """10 requests at ratio 0.2 plus a floor of 1/s over 2 s allow 4 retries in the window."""
    for _ in range(10):
        storage.budget_record_request("r", window=2)
    granted = [
        storage.budget_try_retry("r", ratio=0.2, min_per_second=1, window=2) for _ in range(6)
    ]
    assert [True, True, True, True, False, False] == granted


def test_budget_window_slides(storage: Storage) -> None:
    """Retries taken more than a window ago no longer count."""
    assert storage.budget_try_retry("r", ratio=0.0, min_per_second=10, window=0.1)
    assert not storage.budget_try_retry("r", ratio=0.0, min_per_second=10, window=0.1)
    time.sleep(0.15)
    assert storage.budget_try_retry("r", ratio=0.0, min_per_second=10, window=0.1)


async def test_async_client_serves_the_async_methods(astorage: RedisStorage) -> None:
    """Every a* method works through redis.asyncio and shares state with a sync client."""
    record = await astorage.abreaker_publish("b", expected_generation=0, state="half_open")
    assert record == await astorage.abreaker_load("b")
    token = await astorage.aprobe_acquire("b", generation=1, limit=1, lease_seconds=1)
    assert token is not None
    assert await astorage.aprobe_acquire("b", generation=1, limit=1, lease_seconds=1) is None
    await astorage.aprobe_release("b", token)
    assert await astorage.aprobe_acquire("b", generation=1, limit=1, lease_seconds=1)
    assert 3.0 == await astorage.agate_extend("g", 3)
    assert 3.0 == pytest.approx(await astorage.agate_remaining("g"), abs=0.01)
    await astorage.abudget_record_request("r", window=1)
    assert await astorage.abudget_try_retry("r", ratio=0.0, min_per_second=1, window=1)
    assert not await astorage.abudget_try_retry("r", ratio=0.0, min_per_second=1, window=1)
    assert astorage.available


async def test_sync_calls_on_an_async_client_answer_from_the_mirror(
    astorage: RedisStorage,
) -> None:
    """With an asyncio client, sync methods see the last state read from Redis, locally."""
    await astorage.abreaker_publish("b", expected_generation=0, state="open", open_seconds=5)
    record = astorage.breaker_load("b")
    assert record is not None
    assert ("open", 1) == (record.state, record.generation)
    assert 0.0 == astorage.gate_remaining("g")


async def test_async_methods_on_a_sync_client(redis_server: RedisServer) -> None:
    """A sync client also answers the a* methods (one short blocking round trip each)."""
    client = redis_server.client(socket_timeout=0.5, socket_connect_timeout=0.5)
    store = RedisStorage(client, prefix=f"s-{uuid.uuid4().hex[:8]}")
    assert 2.0 == await store.agate_extend("g", 2)
    assert 2.0 == pytest.approx(store.gate_remaining("g"), abs=0.01)
    store.close()  # the storage's own pool; the client stays usable
    assert client.ping()
    client.close()


def test_two_storages_share_state(redis_server: RedisServer) -> None:
    """Two RedisStorage instances on one prefix see each other's breaker, gate and budget."""
    prefix = f"p-{uuid.uuid4().hex[:8]}"
    clients = [redis_server.client(), redis_server.client()]
    one, two = (RedisStorage(c, prefix=prefix) for c in clients)
    one.breaker_publish("b", expected_generation=0, state="open", open_seconds=5)
    assert "open" == two.breaker_publish("b", expected_generation=0, state="closed").state
    one.gate_extend("g", 2)
    assert 2.0 == pytest.approx(two.gate_remaining("g"), abs=0.02)
    assert one.budget_try_retry("r", ratio=0, min_per_second=1, window=1)
    assert not two.budget_try_retry("r", ratio=0, min_per_second=1, window=1)
    other = RedisStorage(clients[0], prefix=prefix + "-other")
    assert other.breaker_load("b") is None
    for item in (one, two, other):
        item.close()
    for client in clients:
        client.close()


@pytest.mark.parametrize(
    ("field", "options"),
    [
        ("op_timeout", {"op_timeout": 0}),
        ("retry_interval", {"retry_interval": -1}),
        ("prefix", {"prefix": ""}),
    ],
)
def test_bad_configuration_names_the_field(
    redis_server: RedisServer, field: str, options: dict[str, object]
) -> None:
    """Invalid options raise ConfigurationError naming the field."""
    client = redis_server.client()
    with pytest.raises(ConfigurationError) as info:
        RedisStorage(client, **options)  # type: ignore[arg-type]
    assert field == info.value.field
    client.close()


def test_client_must_be_a_redis_client() -> None:
    """Anything but redis.Redis or redis.asyncio.Redis is rejected at construction."""
    with pytest.raises(ConfigurationError, match="client"):
        RedisStorage("redis://localhost")  # type: ignore[arg-type]
