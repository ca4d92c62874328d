"""The state of one circuit breaker and its transitions (every method runs under the core's lock).

`Machine.move()` is the only place a transition happens (generation + 1); `Machine.adopt()` takes
over a *newer* shared record and nothing else. Times passed in are read under the lock, after any
move they could race with (see ``BreakerCore``).
"""

from __future__ import annotations

import math
import random

from resilience_kit._breaker._options import BreakerOptions
from resilience_kit._breaker._tell import Teller
from resilience_kit._breaker._types import (
    BYPASS,
    CLOSED,
    FROM_NAME,
    HALF_OPEN,
    OPEN,
    TO_NAME,
    Bypass,
    CircuitState,
    Closed,
    Op,
)
from resilience_kit._breaker._window import Window
from resilience_kit.storage._base import BreakerRecord

# An adopted record may be more than one step ahead: the state it passed through on the way.
_VIA: dict[tuple[CircuitState, CircuitState], CircuitState] = {
    (CLOSED, HALF_OPEN): OPEN,
    (OPEN, CLOSED): HALF_OPEN,
}


class Machine:
    """What a breaker knows now; changed only by the core, under its lock."""

    def __init__(
        self, options: BreakerOptions, window: Window, teller: Teller, *, shared: bool
    ) -> None:
        self.options = options
        self.window = window
        self.teller = teller
        self.shared = shared
        self.state: CircuitState = CLOSED
        self.generation = 0
        self.open_until = 0.0
        self.open_span = 0.0  # how long the current open spell lasts (bounds every wait)
        self.opened_at: float | None = None
        self.opened_by: str | None = None  # provider of the failure that opened the circuit
        self.trips = 0
        self.probes = 0  # probe slots held in this process since the circuit last closed
        self.epoch = 0  # + 1 each time the circuit closes: older probes no longer count
        self.probe_successes = 0
        self.consecutive = 0
        self.rejected = 0
        self.forced = False
        self.disabled = False
        self.closed_permit: Closed | None = Closed(0)  # the permit of this closed spell
        self.fast: Closed | Bypass | None = self.closed_permit  # admitted without a plan
        self.told_half_open = -1  # the open spell (generation) whose end a read already told

    def refresh_fast(self) -> None:
        if self.disabled:
            self.fast = BYPASS
        elif self.state is CLOSED and not self.forced:
            self.fast = self.closed_permit
        else:
            self.fast = None

    def visible(self, now: float) -> CircuitState:
        if self.disabled:
            return CLOSED
        if self.forced:
            return OPEN
        if self.state is OPEN and self.open_left(now) <= 0:
            return HALF_OPEN
        return self.state

    def open_left(self, now: float) -> float:
        """Seconds of the open spell left. *now* is read under the lock, after every move it
        could race with, so it is never older than ``opened_at`` unless the clock really went
        back (freezegun, a suspended VM): then the spell is re-anchored at *now*, never longer
        than the spell itself and never shorter than what was announced in clock time since."""
        left = self.open_until - now
        if left > self.open_span:
            self.open_until = now + self.open_span
            return self.open_span
        return left

    def observe(self, now: float) -> CircuitState:
        """The visible state, for a read: an open spell found over is told as ``open ->
        half_open`` now, once (the move itself is made and published by the next call)."""
        state = self.visible(now)
        if state is HALF_OPEN and self.state is OPEN and self.told_half_open != self.generation:
            self.told_half_open = self.generation
            self.teller.queue(OPEN, HALF_OPEN, "recovery_timeout", self.opened_by)
        return state

    def _tell(
        self, old: CircuitState, new: CircuitState, reason: str, spell: int, *, steps: bool
    ) -> None:
        """Queue the transition from *old* (of generation *spell*) to *new*; with *steps*, as
        the legal steps it took. An open spell whose end a read already told counts as
        half-open."""
        if old is OPEN and self.told_half_open == spell:
            old = HALF_OPEN
        if old is new:
            return
        via = _VIA.get((old, new)) if steps else None
        if via is not None:
            self.teller.queue(old, via, reason, self.opened_by)
            old = via
        self.teller.queue(old, new, reason, self.opened_by)

    def refusing(self, now: float) -> float | None:
        """Seconds calls are refused from *now* (forced open: ``recovery_timeout``), or None."""
        if self.disabled:
            return None
        if self.forced:
            return self.options.recovery_timeout
        if self.state is OPEN:
            left = self.open_left(now)
            if left > 0:
                return left
        return None

    def open_seconds(self, trips: int) -> float:
        options = self.options
        cap = options.open_cap
        try:
            seconds = min(options.recovery_timeout * options.recovery_backoff ** (trips - 1), cap)
        except OverflowError:
            seconds = cap
        if options.recovery_jitter:
            seconds *= 1.0 - options.recovery_jitter * random.random()
        return seconds

    def move(
        self, new: CircuitState, now: float, reason: str, provider: str | None = None
    ) -> Op | None:
        """The one transition: to *new*, generation + 1; returns the publish request if shared."""
        old = self.state
        expected = self.generation
        self.generation = expected + 1
        self.state = new
        self.probe_successes = 0
        open_seconds = 0.0
        if new is OPEN:
            self.trips += 1
            open_seconds = self.open_seconds(self.trips)
            self.open_until = now + open_seconds
            self.open_span = open_seconds
            self.opened_at = now
            self.opened_by = provider
        elif new is CLOSED:
            self.close_probes()
            self.trips = 0
            self.consecutive = 0
            self.opened_at = None
            self.opened_by = None
            self.window.clear()
        self.closed_permit = Closed(self.generation) if new is CLOSED else None
        self.refresh_fast()
        self._tell(old, new, reason, expected, steps=False)
        if not self.shared:
            return None
        return Op("publish", expected, TO_NAME[new], open_seconds, self.trips)

    def current_op(self, now: float) -> Op:
        """A publish request that writes our current state back to a storage that is behind."""
        remaining = max(self.open_left(now), 0.0) if self.state is OPEN else 0.0
        return Op("publish", self.generation - 1, TO_NAME[self.state], remaining, self.trips)

    def adopt(self, record: BreakerRecord | None, now: float, reason: str = "shared") -> bool:
        """Take over a stored record unless it is older than ours; False if older or none."""
        if record is None or not _valid(record) or record.generation < self.generation:
            return False
        new = FROM_NAME[record.state]
        if record.generation == self.generation and new is self.state:
            return True
        old, spell = self.state, self.generation
        self.generation = record.generation
        self.state = new
        self.trips = record.trips
        self.probe_successes = 0
        if new is OPEN:
            # Another process's open time, clamped to ours: a stored absurd time cannot lock
            # this process out beyond max_recovery_timeout.
            span = min(max(record.open_remaining, 0.0), self.options.open_cap)
            self.open_until = now + span
            self.open_span = span
            if old is not OPEN:
                self.opened_at = now
        elif new is CLOSED:
            self.close_probes()
            self.consecutive = 0
            self.opened_at = None
            self.opened_by = None
            self.window.clear()
        self.closed_permit = Closed(self.generation) if new is CLOSED else None
        self.refresh_fast()
        # another process's moves, told as the legal steps they were
        self._tell(old, new, reason, spell, steps=True)
        return True

    def close_probes(self) -> None:
        """A closed circuit has no probes: those still running no longer count."""
        self.probes = 0
        self.epoch += 1


def _valid(record: BreakerRecord) -> bool:
    """Whether a stored record makes sense; anything else counts as no shared state."""
    return (
        record.state in FROM_NAME
        and record.generation >= 0
        and record.trips >= 0
        and math.isfinite(record.open_remaining)
        and record.open_remaining >= 0.0
    )
