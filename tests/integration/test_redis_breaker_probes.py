"""Half-open probes on a shared breaker under cancellation: never more than the limit at once.

500 asyncio tasks call an always-failing backend through breakers on ``RedisStorage`` (one
storage per simulated process, sync or ``redis.asyncio`` clients), cancelled at random by
``asyncio.wait_for`` timeouts and ``task.cancel()``. The backend never recovers, so after the trip
every admitted call is a probe: at most ``half_open_max_calls`` of them may run in the backend at
once (counted by the backend itself), and ``snapshot().probes_in_flight`` never reads more. The
storages must stay available for that (asserted): during an outage each process answers alone.

Set ``RESILIENCE_KIT_STRESS_SECONDS`` for a longer run (the CI run takes about 3 s per client). On
a slow machine the saturated loop half-opens the circuit only a few times in that span, so the run
goes on until the backend has seen ``PROBES`` probes (a wedged circuit still fails, at
``PATIENCE`` seconds).
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from dataclasses import dataclass, field

import pytest
import redis
import redis.asyncio

import resilience_kit as rk
from resilience_kit.storage import RedisStorage
from tests.integration.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.redis]

SECONDS = float(os.environ.get("RESILIENCE_KIT_STRESS_SECONDS", "3"))
TASKS = 500
LIMIT = 2
PROCESSES = 2
PROBES = 3  # calls the backend must see after the trips before the run may end
PATIENCE = 30.0  # seconds: a circuit that has not let PROBES probes through by then is wedged


@dataclass
class Backend:
    """Counts the calls running in it; always fails."""

    running: int = 0
    most: int = 0
    calls: int = 0
    trips: int = 0  # calls made by the trips, before the run
    probes_read: list[int] = field(default_factory=list)
    left: list[int] = field(default_factory=list)  # probes_in_flight once every call ended

    async def call(self, rng: random.Random) -> None:
        self.running += 1
        self.calls += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(rng.choice((0.0, 0.0005, 0.002, 0.01)))
            raise ConnectionError("down")
        finally:
            self.running -= 1


@dataclass
class Span:
    """The run lasts at least *stop* and until the backend saw PROBES probes (at most *limit*)."""

    stop: float
    limit: float

    def going(self, backend: Backend) -> bool:
        now = asyncio.get_running_loop().time()
        if now >= self.limit:
            return False
        return now < self.stop or backend.calls - backend.trips < PROBES


async def _worker(
    breakers: list[rk.CircuitBreaker], backend: Backend, rng: random.Random, span: Span
) -> None:
    guarded = [breaker(backend.call) for breaker in breakers]
    while span.going(backend):
        call = rng.choice(guarded)
        try:
            roll = rng.random()
            if roll < 0.3:
                await asyncio.wait_for(call(rng), rng.choice((0.0001, 0.001, 0.005)))
            elif roll < 0.5:
                task = asyncio.ensure_future(call(rng))
                await asyncio.sleep(rng.choice((0.0, 0.0005, 0.003)))
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            else:
                await call(rng)
        except rk.CircuitOpenError:
            await asyncio.sleep(rng.choice((0.002, 0.005)))
        except (ConnectionError, asyncio.TimeoutError):
            pass


async def _monitor(breakers: list[rk.CircuitBreaker], backend: Backend, span: Span) -> None:
    while span.going(backend):
        for item in breakers:
            backend.probes_read.append(item.snapshot().probes_in_flight)
        await asyncio.sleep(0.001)


async def _run(breakers: list[rk.CircuitBreaker]) -> Backend:
    backend = Backend()
    for breaker in breakers:  # the trip, seen by each: from here on, every admitted call probes
        with pytest.raises((ConnectionError, rk.CircuitOpenError)):
            await breaker(backend.call)(random.Random(0))
    backend.most = 0
    backend.trips = backend.calls
    now = asyncio.get_running_loop().time()
    span = Span(now + SECONDS, now + max(SECONDS, PATIENCE))
    rng = random.Random(7)
    await asyncio.gather(
        _monitor(breakers, backend, span),
        *(_worker(breakers, backend, rng, span) for _ in range(TASKS)),
    )
    await asyncio.sleep(0.2)  # background plans give their leases back
    backend.left = [item.snapshot().probes_in_flight for item in breakers]
    return backend


def _breakers(storages: list[RedisStorage]) -> list[rk.CircuitBreaker]:
    return [
        rk.CircuitBreaker(
            "probes",
            failure_threshold=1,
            recovery_timeout=0.005,
            half_open_max_calls=LIMIT,
            storage=storage,
            sync_interval=0.01,
        )
        for storage in storages
    ]


@pytest.mark.parametrize("client", ["sync", "asyncio"])
async def test_probes_stay_within_the_limit_under_cancellation(
    redis_server: RedisServer, client: str
) -> None:
    prefix = f"probes-{uuid.uuid4().hex[:8]}"
    if client == "sync":
        clients: list[redis.Redis | redis.asyncio.Redis] = [
            redis_server.client() for _ in range(PROCESSES)
        ]
    else:
        clients = [redis.asyncio.Redis(port=redis_server.port) for _ in range(PROCESSES)]
    # A saturated event loop can take longer than the default op_timeout to read an answer, which
    # counts as an outage (each process then answers from local state: the bound is per process).
    storages = [RedisStorage(c, prefix=prefix, op_timeout=5.0) for c in clients]
    try:
        backend = await _run(_breakers(storages))
    finally:
        for storage, made in zip(storages, clients, strict=True):
            if isinstance(made, redis.asyncio.Redis):
                await storage.aclose()
                await made.aclose()
            else:
                storage.close()
                made.close()
    assert all(storage.available for storage in storages)
    assert backend.calls - backend.trips >= PROBES  # the circuit half-opened again, not wedged
    assert LIMIT >= backend.most
    assert LIMIT >= max(backend.probes_read)
    assert [0] * PROCESSES == backend.left
