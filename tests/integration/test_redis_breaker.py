"""CircuitBreaker, RateLimitGate and RetryBudget sharing state through a real redis-server."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

import resilience_kit as rk
from resilience_kit.storage import RedisStorage
from tests.integration import redis_workers
from tests.integration.redis_server import RedisServer
from tests.unit.throughput_helpers import FakeAPIError, fake_errors, rate_limited

pytestmark = [pytest.mark.integration, pytest.mark.redis]


@pytest.fixture
def storages(redis_server: RedisServer) -> Iterator[list[RedisStorage]]:
    """Two RedisStorage instances (own clients) on one fresh prefix: two processes' views."""
    prefix = f"b-{uuid.uuid4().hex[:8]}"
    clients = [redis_server.client(), redis_server.client()]
    made = [RedisStorage(client, prefix=prefix) for client in clients]
    yield made
    for storage, client in zip(made, clients, strict=True):
        storage.close()
        client.close()


def fail(breaker: rk.CircuitBreaker) -> None:
    with pytest.raises(ConnectionError), breaker:
        raise ConnectionError("backend down")


def test_trip_reaches_breakers_in_other_threads_within_sync_interval(
    storages: list[RedisStorage],
) -> None:
    """4 threads with their own breakers on two storages: one trips, the rest reject in time."""
    breakers = [
        rk.CircuitBreaker(
            "api", failure_threshold=1, recovery_timeout=5, storage=s, sync_interval=0.05
        )
        for s in storages * 2
    ]
    for breaker in breakers:
        with breaker:
            pass
    start = threading.Barrier(len(breakers))
    delays: list[float] = []

    def watch(breaker: rk.CircuitBreaker) -> None:
        start.wait()
        began = time.monotonic()
        while True:
            try:
                with breaker:
                    pass
            except rk.CircuitOpenError:
                delays.append(time.monotonic() - began)
                return
            time.sleep(0.002)  # a real wait: another thread trips the breaker

    threads = [threading.Thread(target=watch, args=(b,)) for b in breakers[1:]]
    for thread in threads:
        thread.start()
    start.wait()
    fail(breakers[0])
    for thread in threads:
        thread.join(5)
    assert 3 == len(delays)
    assert max(delays) < 0.05 + 0.1
    assert all(rk.CircuitState.OPEN == b.state for b in breakers)


def test_half_open_admits_exactly_n_probes_across_breakers(storages: list[RedisStorage]) -> None:
    """8 threads on 8 breakers (two storages) in half-open: exactly half_open_max_calls run."""
    breakers = [
        rk.CircuitBreaker(
            "api",
            failure_threshold=1,
            recovery_timeout=0.1,
            half_open_max_calls=3,
            storage=s,
            sync_interval=0.0,
        )
        for s in storages * 4
    ]
    fail(breakers[0])
    time.sleep(0.15)  # a real wait: Redis times the open state
    start = threading.Barrier(len(breakers))
    ran: list[int] = []

    def probe(breaker: rk.CircuitBreaker) -> None:
        start.wait()
        try:
            with breaker:
                ran.append(1)
                time.sleep(0.1)  # a real wait: the probe is in flight while others try
        except rk.CircuitOpenError:
            pass

    threads = [threading.Thread(target=probe, args=(b,)) for b in breakers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert 3 == len(ran)
    assert all(rk.CircuitState.CLOSED == b.state for b in breakers)


def test_four_processes_share_one_breaker(redis_server: RedisServer) -> None:
    """4 OS processes: one trips, the others reject within sync_interval; then exactly
    half_open_max_calls probes run across all of them and the circuit closes everywhere."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    tripped_at = ctx.Value("d", 0.0)
    results = ctx.Queue()
    prefix = f"mp-{uuid.uuid4().hex[:8]}"
    workers = [
        ctx.Process(
            target=redis_workers.trip_and_probe,
            args=(redis_server.port, prefix, index, barrier, tripped_at, results),
        )
        for index in range(4)
    ]
    for worker in workers:
        worker.start()
    reports = sorted(results.get(timeout=30) for _ in workers)
    for worker in workers:
        worker.join(10)
    assert [0, 0, 0, 0] == [worker.exitcode for worker in workers]
    delays = [rejected_at - tripped_at.value for _, rejected_at, *_ in reports[1:]]
    assert all(delay < redis_workers.SYNC_INTERVAL + 0.15 for delay in delays), delays
    assert redis_workers.PROBES == sum(report[2] for report in reports)
    assert 4 * redis_workers.THREADS - redis_workers.PROBES == sum(r[3] for r in reports)
    assert ["closed"] * 4 == [report[4] for report in reports]


def test_rate_limit_gate_blocks_other_processes(storages: list[RedisStorage]) -> None:
    """A 429 with a hint through one gate blocks a gate of the same name on another storage."""
    first, second = (rk.RateLimitGate("llm", storage=s, max_wait=0.01) for s in storages)
    with fake_errors(), pytest.raises(FakeAPIError), first:
        raise rate_limited(2.0)
    assert 2.0 == pytest.approx(second.remaining(), abs=0.05)
    with pytest.raises(rk.GateClosedError), second:
        pass


def test_retry_budget_is_shared_between_processes(storages: list[RedisStorage]) -> None:
    """Two budgets of one name on two storages draw from one allowance."""
    one, two = (
        rk.RetryBudget(ratio=0.5, min_per_second=0.0, window=5, name="calls", storage=s)
        for s in storages
    )
    for _ in range(2):
        one.record_request()
        two.record_request()
    granted = [one.try_retry(), two.try_retry(), one.try_retry()]
    assert [True, True, False] == granted
