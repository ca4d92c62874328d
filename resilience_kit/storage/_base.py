"""The storage seams of breakers, rate-limit gates, retry budgets and token limiters.

Everything a process must *share* with other processes goes through a
[`Storage`][resilience_kit.storage.Storage]; everything that is cheap to keep per process (failure
windows of a closed breaker, latency) stays local. Durations cross this seam as *remaining seconds*,
never as absolute timestamps, so that in-memory storage can use the monotonic clock and Redis can
use key TTLs (server-side expiry, immune to clock differences between workers).

Methods never raise into the caller's call path for infrastructure reasons: a backend that cannot
reach its server answers from local state (see ``RedisStorage``). Async variants default to the sync
ones; backends with an asyncio client override them.

There is one store type per tool (`BreakerStore`, `GateStore`, `BudgetStore`, `TokenStore`), each
with its sync methods and their async twins; a backend implements the ones it supports, and each
tool checks at construction that its storage is of its store type. `Storage` is all four.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Literal

BreakerStateName = Literal["closed", "open", "half_open"]
Pair = tuple[float, float]
"""Two numbers (a learning gain: when the target is higher, when lower)."""
Vec = tuple[float, ...]
"""One amount per limit of a token budget: (requests, tokens) or (requests, input, output)."""
OptVec = tuple["float | None", ...]


@dataclass(frozen=True, slots=True)
class Reservation:
    """The answer to a token-budget take: *wait* seconds until it fits (nothing was taken) and
    ``sent`` None; or no wait, the cost taken, and *sent* the ``sent`` counters after it."""

    wait: float
    sent: Vec | None


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


class BreakerStore(abc.ABC):
    """Where circuit breakers share their state (transitions and half-open probe permits)."""

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

        If the stored generation is at most *expected_generation* (or nothing is stored), store
        *state* with generation ``expected_generation + 1`` (open for *open_seconds*) and return
        it; otherwise store nothing and return the newer record that is stored (someone else
        moved first). A record that is behind is overwritten, so generations never go back.
        Publishing ``closed`` drops outstanding half-open probe leases; other states keep them
        (a probe still running counts against the next half-open spell's limit).
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


class GateStore(abc.ABC):
    """Where rate-limit gates share their blocks."""

    @abc.abstractmethod
    def gate_extend(self, name: str, seconds: float) -> float:
        """Block gate *name* for at least *seconds* from now; returns the remaining block time."""

    @abc.abstractmethod
    def gate_remaining(self, name: str) -> float:
        """Seconds until gate *name* opens (0.0 when open)."""

    # -- async variants (default: the sync call; in-memory work never blocks) ----------------
    async def agate_extend(self, name: str, seconds: float) -> float:
        return self.gate_extend(name, seconds)

    async def agate_remaining(self, name: str) -> float:
        return self.gate_remaining(name)


class BudgetStore(abc.ABC):
    """Where retry budgets share their request and retry counts."""

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
    async def abudget_record_request(self, name: str, *, window: float) -> None:
        self.budget_record_request(name, window=window)

    async def abudget_try_retry(
        self, name: str, *, ratio: float, min_per_second: float, window: float
    ) -> bool:
        return self.budget_try_retry(
            name, ratio=ratio, min_per_second=min_per_second, window=window
        )


class TokenStore:
    """Where token limiters share their budgets, one level per limit (requests, tokens, ...); a
    backend without them raises ``NotImplementedError``."""

    # Budgets of any number of limits, taken only when the whole cost fits: nothing is ever
    # pending, so no reservation outlives the call that made it (whatever the network does).
    def tokens_take(self, name: str, *, cost: Vec, rate: Vec, cap: Vec) -> Reservation:
        """Take *cost* if every limit has room for it now (a cost above a cap needs a full
        bucket): ``Reservation(0.0, sent counters after it)``. Otherwise take nothing and return
        the seconds until it would fit (``Reservation(wait, None)``)."""
        raise NotImplementedError(f"{type(self).__name__} does not hold token budgets")

    def tokens_learn(
        self,
        name: str,
        *,
        remaining: OptVec,
        age: float,
        sent: Vec,
        rate: Vec,
        cap: Vec,
        gain: Pair = (1.0, 1.0),
    ) -> None:
        """Move each level toward what a server's *remaining* says, for an answer that arrived
        *age* seconds ago to a request whose take left the ``sent`` counters at *sent*:
        ``target = min(cap, remaining + rate * age - (sent now - sent))``, ``level += g * (target
        - level)`` with ``g`` the first of *gain* when the target is higher, the second when lower
        (answers to concurrent requests each miss some of the others: one answer is noisy).
        ``None`` leaves that level alone; an empty *sent* means nothing was sent since."""
        raise NotImplementedError(f"{type(self).__name__} does not hold token budgets")

    def tokens_settle(self, name: str, *, level: Vec, sent: Vec, rate: Vec, cap: Vec) -> None:
        """Add *level* to the levels (a refund; negative: a charge) and *sent* to the counters."""
        raise NotImplementedError(f"{type(self).__name__} does not hold token budgets")

    async def atokens_take(self, name: str, *, cost: Vec, rate: Vec, cap: Vec) -> Reservation:
        return self.tokens_take(name, cost=cost, rate=rate, cap=cap)

    async def atokens_learn(
        self,
        name: str,
        *,
        remaining: OptVec,
        age: float,
        sent: Vec,
        rate: Vec,
        cap: Vec,
        gain: Pair = (1.0, 1.0),
    ) -> None:
        self.tokens_learn(
            name, remaining=remaining, age=age, sent=sent, rate=rate, cap=cap, gain=gain
        )

    async def atokens_settle(
        self, name: str, *, level: Vec, sent: Vec, rate: Vec, cap: Vec
    ) -> None:
        self.tokens_settle(name, level=level, sent=sent, rate=rate, cap=cap)


class Storage(BreakerStore, GateStore, BudgetStore, TokenStore):
    """Where shared resilience state lives, for every tool. `MemoryStorage` is the per-process
    default.

    See [`MemoryStorage`][resilience_kit.storage.MemoryStorage] and
    [`RedisStorage`][resilience_kit.storage.RedisStorage]. A backend serving only some tools
    subclasses only their store types (`GateStore`, ...).
    """
