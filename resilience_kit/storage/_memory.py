"""In-process storage: the default for breakers, gates and budgets."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from resilience_kit import _clock
from resilience_kit.storage._base import (
    BreakerRecord,
    BreakerStateName,
    OptVec,
    Pair,
    Reservation,
    Storage,
    Vec,
)


@dataclass
class _Breaker:
    state: BreakerStateName
    generation: int
    open_until: float
    trips: int
    probes: dict[str, float] = field(default_factory=dict)  # token -> lease expiry


@dataclass
class _Vector:
    """A budget of any number of limits (`Storage.tokens_take`): levels and sent counters."""

    levels: list[float]
    sent: list[float]
    stamp: float

    def refill(self, now: float, rate: Vec, cap: Vec) -> None:
        elapsed = max(now - self.stamp, 0.0)
        if len(self.levels) != len(rate):  # the limits known changed shape: start full
            self.levels = list(cap)
            self.sent = [0.0] * len(rate)
        for i, per_second in enumerate(rate):
            if per_second > 0:
                self.levels[i] = min(cap[i], self.levels[i] + elapsed * per_second)
        self.stamp = now


@dataclass
class _Budget:
    requests: deque[float] = field(default_factory=deque)
    retries: deque[float] = field(default_factory=deque)


class MemoryStorage(Storage):
    """Shared state for one process behind one short-held lock; *clock* defaults to the kit's."""

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._breakers: dict[str, _Breaker] = {}
        self._gates: dict[str, tuple[float, float]] = {}  # name -> (until, length of the block)
        self._budgets: dict[str, _Budget] = {}
        self._vectors: dict[str, _Vector] = {}
        self._tokens = itertools.count(1)

    def _now(self) -> float:
        return self._clock() if self._clock is not None else _clock.monotonic()

    def breaker_load(self, name: str) -> BreakerRecord | None:
        now = self._now()
        with self._lock:
            entry = self._breakers.get(name)
            return None if entry is None else self._record(entry, now)

    @staticmethod
    def _record(entry: _Breaker, now: float) -> BreakerRecord:
        remaining = max(entry.open_until - now, 0.0) if entry.state == "open" else 0.0
        return BreakerRecord(entry.state, entry.generation, remaining, entry.trips)

    def breaker_publish(
        self,
        name: str,
        *,
        expected_generation: int,
        state: BreakerStateName,
        open_seconds: float = 0.0,
        trips: int = 0,
    ) -> BreakerRecord:
        now = self._now()
        with self._lock:
            entry = self._breakers.get(name)
            if entry is not None and entry.generation > expected_generation:
                return self._record(entry, now)
            new = _Breaker(state, expected_generation + 1, now + max(open_seconds, 0.0), trips)
            if entry is not None and state != "closed":
                new.probes = entry.probes  # running probes still count until they end
            self._breakers[name] = new
            return self._record(new, now)

    def probe_acquire(
        self, name: str, *, generation: int, limit: int, lease_seconds: float
    ) -> str | None:
        now = self._now()
        with self._lock:
            entry = self._breakers.get(name)
            if entry is None or entry.generation != generation:
                return None
            live = {tok: until for tok, until in entry.probes.items() if until > now}
            if len(live) >= limit:
                entry.probes = live
                return None
            token = f"{generation}:{next(self._tokens)}"
            live[token] = now + lease_seconds
            entry.probes = live
            return token

    def probe_release(self, name: str, token: str) -> None:
        with self._lock:
            entry = self._breakers.get(name)
            if entry is not None:
                entry.probes.pop(token, None)

    def gate_extend(self, name: str, seconds: float) -> float:
        now = self._now()
        with self._lock:
            until = max(now + self._gate_left(name, now), now + max(seconds, 0.0))
            self._gates[name] = (until, until - now)
            return until - now

    def gate_remaining(self, name: str) -> float:
        now = self._now()
        with self._lock:
            return self._gate_left(name, now)

    def _gate_left(self, name: str, now: float) -> float:
        """Seconds the gate stays closed; a clock that jumped back never makes that longer than
        the block that was set (it is re-anchored at *now*). Call with the lock held."""
        until, length = self._gates.get(name, (now, 0.0))
        left = until - now
        if left > length:
            self._gates[name] = (now + length, length)
            return length
        return max(left, 0.0)

    def budget_record_request(self, name: str, *, window: float) -> None:
        now = self._now()
        with self._lock:
            budget = self._budgets.setdefault(name, _Budget())
            budget.requests.append(now)
            _trim(budget, now - window)

    def _vector(self, name: str, now: float, rate: Vec, cap: Vec) -> _Vector:
        entry = self._vectors.get(name)
        if entry is None:
            entry = _Vector(list(cap), [0.0] * len(rate), now)
            self._vectors[name] = entry
        entry.refill(now, rate, cap)
        return entry

    def tokens_take(self, name: str, *, cost: Vec, rate: Vec, cap: Vec) -> Reservation:
        now = self._now()
        with self._lock:
            entry = self._vector(name, now, rate, cap)
            wait = take_wait(entry.levels, cost, rate, cap)
            if wait > 0:
                return Reservation(wait, None)
            for i, amount in enumerate(cost):
                if rate[i] > 0:
                    entry.levels[i] -= amount
                entry.sent[i] += amount
            return Reservation(0.0, tuple(entry.sent))

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
        now = self._now()
        with self._lock:
            entry = self._vector(name, now, rate, cap)
            for i, left in enumerate(remaining):
                if left is not None and rate[i] > 0:
                    since = entry.sent[i] - sent[i] if i < len(sent) else 0.0
                    target = min(cap[i], left + rate[i] * max(age, 0.0) - since)
                    step = gain[0] if target > entry.levels[i] else gain[1]
                    entry.levels[i] += step * (target - entry.levels[i])

    def tokens_settle(self, name: str, *, level: Vec, sent: Vec, rate: Vec, cap: Vec) -> None:
        now = self._now()
        with self._lock:
            entry = self._vector(name, now, rate, cap)
            for i in range(len(rate)):
                if rate[i] > 0:
                    entry.levels[i] = min(cap[i], entry.levels[i] + level[i])
                entry.sent[i] += sent[i]

    def budget_try_retry(
        self, name: str, *, ratio: float, min_per_second: float, window: float
    ) -> bool:
        now = self._now()
        with self._lock:
            budget = self._budgets.setdefault(name, _Budget())
            _trim(budget, now - window)
            allowed = ratio * len(budget.requests) + min_per_second * window
            if len(budget.retries) + 1 > allowed:
                return False
            budget.retries.append(now)
            return True


def take_wait(levels: list[float], cost: Vec, rate: Vec, cap: Vec) -> float:
    """Seconds until *cost* fits every limit (a cost above a cap needs a full bucket)."""
    waits = [
        (min(cost[i], cap[i]) - levels[i]) / rate[i]
        for i in range(len(rate))
        if rate[i] > 0 and levels[i] < min(cost[i], cap[i])
    ]
    return max(waits, default=0.0)


def _trim(budget: _Budget, horizon: float) -> None:
    for events in (budget.requests, budget.retries):
        while events and events[0] <= horizon:
            events.popleft()
