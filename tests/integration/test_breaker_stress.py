"""Stress: 32 threads and 500 asyncio tasks (some cancelled) on one breaker, checked through the
public API only.

The backend alternates between failing and healthy phases while a recovery timeout of a few
milliseconds cycles the breaker through every state. Checked throughout: every transition a
listener sees is legal, ``snapshot().generation`` never decreases, ``probes_in_flight`` stays in
``[0, half_open_max_calls]``, at most ``half_open_max_calls`` calls run in a failing backend once it
tripped, and a healthy backend closes the breaker within a few recovery timeouts, after which
every call is admitted.

The CI run takes about 3 s; set ``RESILIENCE_KIT_STRESS_SECONDS`` (e.g. 30) for the long run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit import CircuitState
from resilience_kit.storage import RedisStorage, Storage
from tests.integration.redis_server import RedisServer

pytestmark = pytest.mark.integration

CLOSED, OPEN, HALF = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN
LEGAL = {(CLOSED, OPEN), (OPEN, HALF), (HALF, CLOSED), (HALF, OPEN)}
SECONDS = float(os.environ.get("RESILIENCE_KIT_STRESS_SECONDS", "3"))
THREADS = 32
TASKS = 500
LIMIT = 2
RECOVERY = 0.005
CLOSE_DEADLINE = 2.0  # a few recovery timeouts, with room for a loaded 2-core machine
STUCK_DEADLINE = 20.0  # a probe on a saturated event loop may take seconds; a wedge never ends


class BackendError(ConnectionError):
    """What the failing backend raises (CONNECTION: a breaker failure)."""


@dataclass
class Stress:
    """Shared state of one stress run: the backend's phase and what the checks found."""

    breaker: rk.CircuitBreaker
    failing: bool = True
    tripped: bool = False  # set on the first trip of the current failing phase
    phase: int = 0  # + 1 at each switch between failing and healthy
    stop: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    probes_running: Counter[int] = field(default_factory=Counter)  # by failing phase
    in_backend: int = 0  # calls of any kind running in the backend now
    slowest_close: float = 0.0
    max_probes_running: int = 0
    problems: list[str] = field(default_factory=list)
    transitions: list[tuple[CircuitState, CircuitState]] = field(default_factory=list)
    calls: int = 0
    rejected: int = 0
    cancelled: int = 0

    def seen(self) -> tuple[int, bool]:
        with self.lock:
            return (self.phase, self.tripped)

    def problem(self, text: str) -> None:
        with self.lock:
            if len(self.problems) < 20:
                self.problems.append(text)

    def listener(self, name: str, old: CircuitState, new: CircuitState) -> None:
        with self.lock:
            self.transitions.append((old, new))
            if new is OPEN and self.failing:
                self.tripped = True
        if (old, new) not in LEGAL:
            self.problem(f"illegal transition {old.value} -> {new.value}")

    @contextlib.contextmanager
    def enter(self, seen: tuple[int, bool]) -> Iterator[bool]:
        """The backend: *seen* is (phase, tripped) read before the call was admitted."""
        with self.lock:
            failing = self.failing
            # Admitted after a trip, within the same failing phase: it can only be a probe. The
            # breaker never closes in a failing phase, so these probes share one half-open era
            # (a probe of an earlier phase may still run, but a close ended its era).
            phase = self.phase
            self.in_backend += 1
            probe = seen == (phase, True) and failing
            if probe:
                self.probes_running[phase] += 1
                self.max_probes_running = max(self.max_probes_running, self.probes_running[phase])
        try:
            yield failing
        finally:
            with self.lock:
                self.in_backend -= 1
                if probe:
                    self.probes_running[phase] -= 1


def make(storage: Storage | None = None) -> Stress:
    breaker = rk.CircuitBreaker(
        "stress",
        failure_threshold=3,
        recovery_timeout=RECOVERY,
        half_open_max_calls=LIMIT,
        storage=storage,
        sync_interval=0.01,
    )
    stress = Stress(breaker)
    breaker.add_listener(stress.listener)
    return stress


def worker_thread(stress: Stress) -> None:
    breaker = stress.breaker

    def backend(seen: tuple[int, bool]) -> str:
        with stress.enter(seen) as failing:
            time.sleep(0.0005)
            if failing:
                raise BackendError("down")
            return "ok"

    call = breaker(backend)

    use_with = random.random() < 0.5
    while not stress.stop:
        seen = stress.seen()  # read before admission
        try:
            if use_with:
                with breaker:
                    backend(seen)
            else:
                call(seen)
        except rk.CircuitOpenError:
            with stress.lock:
                stress.rejected += 1
            time.sleep(0.0002)
        except BackendError:
            pass
        with stress.lock:
            stress.calls += 1


async def worker_task(stress: Stress, rng: random.Random) -> None:
    breaker = stress.breaker

    @breaker
    async def call(seen: tuple[int, bool]) -> str:
        with stress.enter(seen) as failing:
            await asyncio.sleep(rng.choice((0, 0.0005, 0.002)))
            if failing:
                raise BackendError("down")
            return "ok"

    @breaker
    async def stream(seen: tuple[int, bool]) -> Any:
        with stress.enter(seen) as failing:
            yield "first"
            await asyncio.sleep(0.0005)
            if failing:
                raise BackendError("down")
            yield "second"

    while not stress.stop:
        seen = stress.seen()
        try:
            if rng.random() < 0.3:
                await asyncio.wait_for(call(seen), rng.choice((0.0001, 0.001)))
            elif rng.random() < 0.2:
                agen = stream(seen)
                async for _ in agen:
                    if rng.random() < 0.3:
                        break  # closed early: the permit must come back
                await agen.aclose()
            else:
                await call(seen)
        except rk.CircuitOpenError:
            with stress.lock:
                stress.rejected += 1
            await asyncio.sleep(0.0005)
        except (BackendError, asyncio.TimeoutError):
            pass
        with stress.lock:
            stress.calls += 1


def run_loop(stress: Stress) -> None:
    async def main() -> None:
        rng = random.Random(1)
        await asyncio.gather(*(worker_task(stress, rng) for _ in range(TASKS)))

    asyncio.run(main())


def monitor(stress: Stress) -> None:
    last = -1
    while not stress.stop:
        snap = stress.breaker.snapshot()
        if snap.generation < last:
            stress.problem(f"generation went backwards: {last} -> {snap.generation}")
        last = max(last, snap.generation)
        if not 0 <= snap.probes_in_flight <= LIMIT:
            stress.problem(f"probes_in_flight read {snap.probes_in_flight}")
        time.sleep(0.0005)


def closed_last(stress: Stress) -> bool:
    """Whether the listener has seen the breaker close (it is told after the state changed)."""
    with stress.lock:
        return bool(stress.transitions) and stress.transitions[-1][1] is CLOSED


def healthy_phase(stress: Stress) -> None:
    """The backend turns healthy: the breaker must close within CLOSE_DEADLINE and admit all."""
    with stress.lock:
        stress.failing = False
        stress.tripped = False
        stress.phase += 1
    started = time.monotonic()
    idle_with_permits = 0  # samples with probe permits out but no call in the backend
    while stress.breaker.state is not CLOSED or not closed_last(stress):
        waited = time.monotonic() - started
        if waited > CLOSE_DEADLINE:
            # Only running probes may hold the circuit half-open this long (a saturated event
            # loop runs slowly, and a shared breaker holds a probe's slot across its lease's
            # Redis round trips); permits out with nothing running for a second is a leak (a
            # leaked slot never comes back, so this still catches one, as STUCK_DEADLINE does).
            snap = stress.breaker.snapshot()
            idle = snap.probes_in_flight > 0 and stress.in_backend == 0
            idle_with_permits = idle_with_permits + 1 if idle else 0
            if idle_with_permits > 1000 or waited > STUCK_DEADLINE:
                stress.problem(f"healthy backend, still {snap.state.value} after {waited}s: {snap}")
                stress.breaker.reset()  # free it: the run goes on and counts further problems
                return
        time.sleep(0.001)
    stress.slowest_close = max(stress.slowest_close, time.monotonic() - started)
    with stress.lock:
        seen = len(stress.transitions)
    time.sleep(0.05)

    @stress.breaker
    def ping() -> str:
        return "ok"

    admitted = sum(1 for _ in range(20) if admits(ping))
    if admitted != 20:
        stress.problem(f"closed with a healthy backend, admitted {admitted} of 20")
    with stress.lock:
        later = stress.transitions[seen:]
    if later:
        stress.problem(f"healthy backend, closed breaker moved again: {later[:3]}")


def admits(fn: Callable[[], str]) -> bool:
    try:
        fn()
    except rk.CircuitOpenError:
        return False
    return True


def failing_phase(stress: Stress) -> None:
    with stress.lock:
        stress.failing = True
        stress.tripped = False
        stress.phase += 1
    time.sleep(0.1)


def run(stress: Stress, seconds: float) -> int:
    threads = [threading.Thread(target=worker_thread, args=(stress,)) for _ in range(THREADS)]
    threads.append(threading.Thread(target=run_loop, args=(stress,)))
    threads.append(threading.Thread(target=monitor, args=(stress,)))
    for thread in threads:
        thread.start()
    cycles = 0
    try:
        deadline = time.monotonic() + seconds
        # At least three cycles, however slow a loaded machine makes them (a hard cap follows).
        while time.monotonic() < deadline or (cycles < 3 and time.monotonic() < deadline + 60):
            failing_phase(stress)
            healthy_phase(stress)
            cycles += 1
    finally:
        stress.stop = True
        for thread in threads:
            thread.join()
    return cycles


def test_breaker_survives_threads_and_cancelled_tasks() -> None:
    """32 threads, 500 tasks: legal transitions, growing generations, few probes, recovery."""
    stress = make()
    cycles = run(stress, SECONDS)
    assert [] == stress.problems
    assert LIMIT >= stress.max_probes_running
    assert cycles >= 3
    assert stress.rejected > 0  # the breaker did open and reject under the load


@pytest.mark.redis
def test_redis_breaker_survives_threads_and_cancelled_tasks(redis_server: RedisServer) -> None:
    """The same stress on a RedisStorage breaker: never backwards, legal, bounded, recovers."""
    client = redis_server.client()
    storage = RedisStorage(client, prefix=f"stress-{uuid.uuid4().hex[:8]}")
    try:
        stress = make(storage)
        cycles = run(stress, SECONDS)
    finally:
        storage.close()
        client.close()
    assert [] == stress.problems
    assert LIMIT >= stress.max_probes_running
    assert cycles >= 3
