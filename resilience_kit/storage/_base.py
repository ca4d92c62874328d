"""The storage seam shared by breakers, rate-limit gates and retry budgets.

Everything a process must *share* with other processes goes through a
[`Storage`][resilience_kit.storage.Storage]; everything that is cheap to keep per process (failure
windows of a closed breaker, latency) stays local. Durations cross this seam as *remaining seconds*,
never as absolute timestamps, so that in-memory storage can use the monotonic clock and Redis can
use key TTLs (server-side expiry, immune to clock differences between workers).

Methods never raise into the caller's call path for infrastructure reasons: a backend that cannot
reach its server answers from local state (see ``RedisStorage``). Async variants default to the sync
ones; backends with an asyncio client override them.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Literal

BreakerStateName = Literal["closed", "open", "half_open"]


@dataclass(frozen=True, slots=True)
class BreakerRecord:
    """The shared part of a circuit breaker's state.

    ``generation`` increases on every published transition; publishers compare-and-set on it so
    two processes tripping at once produce one transition. ``open_remaining`` is the time left
    until an open circuit may half-open (0.0 when not open or already expired). ``trips`` counts
    consecutive openings (for growing open times); it resets when the circuit closes.
    """

    state: BreakerStateName
    generation: int
    open_remaining: float = 0.0
    trips: int = 0


class Storage(abc.ABC):
    """Where shared resilience state lives. `MemoryStorage` is the per-process default.

    See [`MemoryStorage`][resilience_kit.storage.MemoryStorage] and
    [`RedisStorage`][resilience_kit.storage.RedisStorage].
    """

    # -- circuit breaker -------------------------------------------------------------------
    @abc.abstractmethod
    def breaker_load(self, name: str) -> BreakerRecord | None:
        """The shared record of breaker *name*, or None if none was ever published."""

    @abc.abstractmethod
    def breaker_publish(
        self,
        name: str,
        *,
        expected_generation: int,
        state: BreakerStateName,
        open_seconds: float = 0.0,
        trips: int = 0,
    ) -> BreakerRecord:
        """Compare-and-set a transition.

        If the stored generation equals *expected_generation* (or nothing is stored), store
        *state* with generation ``expected_generation + 1`` (open for *open_seconds*) and return
        it; otherwise store nothing and return the record that is stored (someone else moved).
        Publishing ``closed`` or ``open`` drops outstanding half-open probe leases.
        """

    @abc.abstractmethod
    def probe_acquire(
        self, name: str, *, generation: int, limit: int, lease_seconds: float
    ) -> str | None:
        """Take one of *limit* half-open probe permits for *generation*; a token, or None.

        A permit expires after *lease_seconds* so that a crashed prober cannot wedge the breaker.
        Returns None if *generation* is no longer the stored one.
        """

    @abc.abstractmethod
    def probe_release(self, name: str, token: str) -> None:
        """Give back a permit taken with `probe_acquire()` (unknown tokens are ignored)."""

    # -- rate-limit gate -------------------------------------------------------------------
    @abc.abstractmethod
    def gate_extend(self, name: str, seconds: float) -> float:
        """Block gate *name* for at least *seconds* from now; returns the remaining block time."""

    @abc.abstractmethod
    def gate_remaining(self, name: str) -> float:
        """Seconds until gate *name* opens (0.0 when open)."""

    # -- retry budget ----------------------------------------------------------------------
    @abc.abstractmethod
    def budget_record_request(self, name: str, *, window: float) -> None:
        """Count one first attempt against budget *name* (sliding *window* seconds)."""

    @abc.abstractmethod
    def budget_try_retry(
        self, name: str, *, ratio: float, min_per_second: float, window: float
    ) -> bool:
        """Atomically take one retry if retries in *window* stay within
        ``ratio * requests + min_per_second * window``; False when the budget is exhausted."""

    # -- async variants (default: the sync call; in-memory work never blocks) ----------------
    async def abreaker_load(self, name: str) -> BreakerRecord | None:
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
        return self.probe_acquire(
            name, generation=generation, limit=limit, lease_seconds=lease_seconds
        )

    async def aprobe_release(self, name: str, token: str) -> None:
        self.probe_release(name, token)

    async def agate_extend(self, name: str, seconds: float) -> float:
        return self.gate_extend(name, seconds)

    async def agate_remaining(self, name: str) -> float:
        return self.gate_remaining(name)

    async def abudget_record_request(self, name: str, *, window: float) -> None:
        self.budget_record_request(name, window=window)

    async def abudget_try_retry(
        self, name: str, *, ratio: float, min_per_second: float, window: float
    ) -> bool:
        return self.budget_try_retry(
            name, ratio=ratio, min_per_second=min_per_second, window=window
        )
