"""Code run in child processes by the Redis tests (importable under the spawn start method)."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import redis

import resilience_kit as rk
from resilience_kit.storage import RedisStorage

SYNC_INTERVAL = 0.05  # the staleness bound the processes test holds the breakers to
RECOVERY = 0.5
PROBES = 2
THREADS = 3


def _breaker(port: int, prefix: str) -> tuple[rk.CircuitBreaker, RedisStorage, redis.Redis]:
    client = redis.Redis(port=port)
    storage = RedisStorage(client, prefix=prefix)
    breaker = rk.CircuitBreaker(
        "shared",
        failure_threshold=1,
        recovery_timeout=RECOVERY,
        half_open_max_calls=PROBES,
        storage=storage,
        sync_interval=SYNC_INTERVAL,
    )
    return breaker, storage, client


def trip_and_probe(
    port: int, prefix: str, index: int, barrier: Any, tripped_at: Any, results: Any
) -> None:
    """Worker *index*: 0 trips the breaker, the others note when they start rejecting; then
    every worker fires THREADS calls at once in half-open and reports how many ran."""
    breaker, storage, client = _breaker(port, prefix)
    with breaker:
        pass  # a first sync with Redis
    barrier.wait()
    rejected_at = None
    if index == 0:
        tripped_at.value = time.monotonic()
        with contextlib.suppress(ConnectionError), breaker:
            raise ConnectionError("backend down")
    else:
        while rejected_at is None:
            try:
                with breaker:
                    pass
            except rk.CircuitOpenError:
                rejected_at = time.monotonic()
            time.sleep(0.001)  # a real wait: another process trips the breaker
    barrier.wait()
    time.sleep(max(tripped_at.value + RECOVERY + 0.1 - time.monotonic(), 0.0))
    ran: list[int] = []
    rejected: list[int] = []

    def call() -> None:
        try:
            with breaker:
                ran.append(1)
                time.sleep(0.2)  # a real wait: the probe is in flight while others try
        except rk.CircuitOpenError:
            rejected.append(1)

    threads = [threading.Thread(target=call) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    barrier.wait()
    time.sleep(SYNC_INTERVAL * 2)  # past the staleness bound of the prober's "closed"
    results.put((index, rejected_at, len(ran), len(rejected), breaker.state.value))
    storage.close()
    client.close()
