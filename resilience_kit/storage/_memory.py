"""In-process storage: the default for breakers, gates and budgets."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from resilience_kit import _clock
from resilience_kit.storage._base import BreakerRecord, BreakerStateName, Storage


@dataclass
class _Breaker:
    state: BreakerStateName
    generation: int
    open_until: float
    trips: int
    probes: dict[str, float] = field(default_factory=dict)  # token -> lease expiry


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


def _trim(budget: _Budget, horizon: float) -> None:
    for events in (budget.requests, budget.retries):
        while events and events[0] <= horizon:
            events.popleft()
