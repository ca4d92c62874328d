"""The circuit breaker's state machine: admission, outcome recording and transitions.

Correct by construction: all state lives in this object and changes only under ``self._lock``,
in the same critical section as the decision that causes it. `_move()` is the only place a
transition happens (generation + 1); `_adopt()` takes over a *newer* shared record and
nothing else. The lock is never held across the user's call, a storage call, an ``await`` or a
listener; listeners are told in generation order by whichever thread finds events pending.

A private breaker (no *storage*) never talks to storage: its plans end without yielding. With
shared storage the same machine runs and its plans (see ``_breaker_types``) tell the storage:

- a trip, the open -> half-open step and reset move locally at once, then are published;
- a probe's outcome is published first and adopted from the answer (two processes deciding at
  once end in the storage's one answer, a legal transition in each);
- a stored record is adopted only when it is newer than ours (or as new, with another state: the
  storage settled a tie between processes). An older record is never adopted: it means the
  storage is behind (key lost, reordered answers), and this process writes its state back.
  Adopted open times are clamped to ``max_recovery_timeout``; a garbage record counts as none.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from typing import Any

from resilience_kit import _call, _clock
from resilience_kit._breaker._tell import Teller, Transition
from resilience_kit._breaker._types import (
    CLOSED,
    FROM_NAME,
    HALF_OPEN,
    OPEN,
    TO_NAME,
    CircuitState,
    Listener,
    Op,
    Permit,
    Plan,
    Probe,
    adrive,
    drive,
    spawn,
)
from resilience_kit._breaker._window import Window
from resilience_kit._categories import ErrorCategory
from resilience_kit._classify import classify
from resilience_kit.exceptions import CircuitOpenError, mark_rejects_next
from resilience_kit.metrics import _core as _metrics
from resilience_kit.storage._base import BreakerRecord, Storage

_LOAD = Op("load")
# An adopted record may be more than one step ahead: the state it passed through on the way.
_VIA: dict[tuple[CircuitState, CircuitState], CircuitState] = {
    (CLOSED, HALF_OPEN): OPEN,
    (OPEN, CLOSED): HALF_OPEN,
}


class BreakerCore(Teller):
    """State machine of [`CircuitBreaker`][resilience_kit.CircuitBreaker]; see that class for the
    API."""

    name: str
    _now: Callable[[], float]
    _storage: Storage | None
    _shared: bool
    _sync_interval: float
    _window: Window
    _recovery_timeout: float
    _recovery_backoff: float
    _max_recovery_timeout: float
    _recovery_jitter: float
    _half_open_max_calls: int
    _success_threshold: int
    _probe_args: tuple[int, float]  # (half_open_max_calls, probe_lease) for probe_acquire
    _slow: float | None
    _failure_categories: frozenset[ErrorCategory]
    _is_failure: Callable[[BaseException], bool] | None
    _is_failure_result: Callable[[Any], bool] | None
    _listeners: list[Listener]

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._state: CircuitState = CLOSED
        self._generation = 0
        self._logged_rejection: tuple[int, CircuitState] | None = None
        self._open_until = 0.0
        self._open_span = 0.0  # how long the current open spell lasts (bounds every wait)
        self._opened_at: float | None = None
        self._trips = 0
        self._probes = 0  # probe permits held in this process since the circuit last closed
        self._epoch = 0  # + 1 each time the circuit closes: older probes no longer count
        self._probe_successes = 0
        self._consecutive = 0
        self._rejected = 0
        self._forced = False
        self._disabled = False
        self._syncing = False
        self._next_sync = -math.inf if self._shared else math.inf
        self._fast_gen: int | None = 0
        self._pending: list[Transition] = []  # transitions not yet told to listeners
        self._delivering = False
        self._metrics = _metrics.breaker(self.name)

    # -- helpers (call with the lock held) -------------------------------------------------
    def _refresh_fast(self) -> None:
        if self._disabled:
            self._fast_gen = -1
        elif self._state is CLOSED and not self._forced:
            self._fast_gen = self._generation
        else:
            self._fast_gen = None

    def _visible(self, now: float) -> CircuitState:
        if self._disabled:
            return CLOSED
        if self._forced:
            return OPEN
        if self._state is OPEN and self._open_left(now) <= 0:
            return HALF_OPEN
        return self._state

    def _open_left(self, now: float) -> float:
        """Seconds of the open spell left; a clock that jumped back (freezegun, a suspended VM)
        never makes it longer than the spell itself: the spell is re-anchored at *now*."""
        left = self._open_until - now
        if left > self._open_span:
            self._open_until = now + self._open_span
            return self._open_span
        return left

    def _open_seconds(self, trips: int) -> float:
        cap = self._max_recovery_timeout
        try:
            seconds = min(self._recovery_timeout * self._recovery_backoff ** (trips - 1), cap)
        except OverflowError:
            seconds = cap
        if self._recovery_jitter:
            seconds *= 1.0 - self._recovery_jitter * random.random()
        return seconds

    def _move(self, new: CircuitState, now: float, reason: str) -> Op | None:
        """The one transition: to *new*, generation + 1; returns the publish request if shared."""
        old = self._state
        expected = self._generation
        self._generation = expected + 1
        self._state = new
        self._probe_successes = 0
        open_seconds = 0.0
        if new is OPEN:
            self._trips += 1
            open_seconds = self._open_seconds(self._trips)
            self._open_until = now + open_seconds
            self._open_span = open_seconds
            self._opened_at = now
        elif new is CLOSED:
            self._close_probes()
            self._trips = 0
            self._consecutive = 0
            self._opened_at = None
            self._window.clear()
        self._refresh_fast()
        if old is not new:
            self._pending.append((old, new, reason))
        if not self._shared:
            return None
        return Op("publish", expected, TO_NAME[new], open_seconds, self._trips)

    def _current_op(self, now: float) -> Op:
        """A publish request that writes our current state back to a storage that is behind."""
        remaining = max(self._open_left(now), 0.0) if self._state is OPEN else 0.0
        state = TO_NAME[self._state]
        return Op("publish", self._generation - 1, state, remaining, self._trips)

    def _adopt(self, record: BreakerRecord | None, now: float, reason: str = "shared") -> bool:
        """Take over a stored record unless it is older than ours; False if older or none."""
        if record is None or not _valid(record) or record.generation < self._generation:
            return False
        new = FROM_NAME[record.state]
        if record.generation == self._generation and new is self._state:
            return True
        old = self._state
        self._generation = record.generation
        self._state = new
        self._trips = record.trips
        self._probe_successes = 0
        if new is OPEN:
            # Another process's open time, clamped to ours: a stored absurd time cannot lock
            # this process out beyond max_recovery_timeout.
            span = min(max(record.open_remaining, 0.0), self._max_recovery_timeout)
            self._open_until = now + span
            self._open_span = span
            if old is not OPEN:
                self._opened_at = now
        elif new is CLOSED:
            self._close_probes()
            self._consecutive = 0
            self._opened_at = None
            self._window.clear()
        self._refresh_fast()
        if old is not new:  # another process's moves, told as the legal steps they were
            via = _VIA.get((old, new))
            if via is not None:
                self._pending.append((old, via, reason))
                old = via
            self._pending.append((old, new, reason))
        return True

    def _close_probes(self) -> None:
        """A closed circuit has no probes: those still running no longer count."""
        self._probes = 0
        self._epoch += 1

    def _note_rejection(self, exc: BaseException) -> None:
        """After a failed call: if this breaker now rejects calls, say so on *exc* (for an outer
        ``@retry``, which then does not sleep its backoff only to meet CircuitOpenError)."""
        if not isinstance(exc, Exception):
            return
        now = self._now()
        with self._lock:
            if self._disabled:
                return
            if self._forced:
                retry_after = self._recovery_timeout
            elif self._state is OPEN and self._open_left(now) > 0:
                retry_after = self._open_left(now)
            else:
                return
        mark_rejects_next(exc, CircuitOpenError(self.name, retry_after))
        ctx = _call.current()
        if ctx is not None:  # for an outer @retry: the call's context says the circuit refuses
            ctx.classified(exc, classify)
            ctx.rejection = _call.Rejection(
                self.name, retry_after, _clock.monotonic(), CircuitOpenError(self.name, retry_after)
            )

    def _touched(self) -> bool:
        """Whether this breaker is anything but closed and clean (for test isolation)."""
        now = self._now()
        with self._lock:
            calls, _ = self._window.counts(now)
            return bool(
                self._forced or self._disabled or self._state is not CLOSED or self._consecutive
            ) or bool(calls)

    # -- plans -----------------------------------------------------------------------------
    def _sync_plan(self, now: float) -> Plan:
        """Re-read the shared record (one caller at a time, at most every sync_interval)."""
        with self._lock:
            if self._syncing or now < self._next_sync:
                return
            self._syncing = True
        try:
            record = yield _LOAD
        finally:
            with self._lock:
                self._syncing = False
                self._next_sync = now + self._sync_interval
        heal: Op | None = None
        with self._lock:
            if not self._adopt(record, now) and self._generation > 0:
                heal = self._current_op(now)  # the storage is behind us: write our state back
        if heal is not None:
            yield from self._publish_plan(heal, now)
        elif self._pending:
            self._deliver()

    def _publish_plan(self, op: Op, now: float, reason: str = "shared") -> Plan:
        """Publish a transition; adopt the answer if it is newer than what we know."""
        if self._pending:
            self._deliver()
        record = yield op
        with self._lock:
            agreed = record is not None and record.state == op.state
            self._adopt(record, now, reason if agreed else "shared")
        if self._pending:
            self._deliver()

    def _acquire_plan(self, now: float) -> Plan:
        if self._shared:
            yield from self._sync_plan(now)
        publish: Op | None = None
        reject: tuple[CircuitState, float] | None = None
        with self._lock:
            if self._disabled:
                return -1
            state = self._state
            if self._forced:
                reject = (OPEN, self._recovery_timeout)
            elif state is CLOSED:
                return self._generation
            elif state is OPEN and self._open_left(now) > 0:
                reject = (OPEN, self._open_left(now))
            else:
                if state is OPEN:
                    publish = self._move(HALF_OPEN, now, "recovery_timeout")
                if self._shared:
                    pass  # the storage's probe leases decide, below
                elif self._probes < self._half_open_max_calls:
                    # Probes of an earlier half-open spell that are still running count too:
                    # the backend never sees more than half_open_max_calls probes at once.
                    self._probes += 1
                else:
                    reject = (HALF_OPEN, 0.0)
            generation, epoch = self._generation, self._epoch
            if reject is not None:
                self._rejected += 1
        if publish is not None:
            yield from self._publish_plan(publish, now, "recovery_timeout")
        elif self._pending:
            self._deliver()
        if reject is not None:
            raise self._rejection(generation, *reject)
        if not self._shared:
            return Probe(generation, "", epoch)
        token = yield Op("acquire", generation)
        with self._lock:
            if token is None:
                self._rejected += 1
                self._next_sync = -math.inf  # re-read (and heal) the shared record next time
            elif epoch == self._epoch:
                self._probes += 1
        if token is None:
            raise self._rejection(generation, HALF_OPEN, 0.0)
        return Probe(generation, token, epoch)

    def _retry_after(self, now: float) -> float:
        return max(self._open_left(now), 0.0) if self._state is OPEN else 0.0

    def _succeed(self, permit: Permit) -> Plan | None:
        """Record a success: the hot path of a healthy circuit (no storage, one short lock)."""
        self._metrics.ok()
        if isinstance(permit, int):
            if permit >= 0:
                window = self._window
                now = self._now() if window.uses_clock else 0.0
                with self._lock:
                    if permit == self._generation and self._state is CLOSED:
                        self._consecutive = 0
                        window.success(now)
            return None
        return self._probe_plan(permit, failed=False)

    def _settle(self, permit: Permit, failed: bool | None) -> Plan | None:
        """Record an outcome (None: ignored); returns a plan when storage must be told."""
        self._metrics.settled(failed)
        if isinstance(permit, int):
            if failed is None or permit < 0:
                return None
            now = self._now() if (failed or self._window.uses_clock) else 0.0
            with self._lock:
                if permit != self._generation or self._state is not CLOSED:
                    return None  # admitted before a transition: must not touch the new state
                if failed:
                    self._consecutive += 1
                else:
                    self._consecutive = 0
                if not self._window.record(failed, now):
                    return None
                op = self._move(OPEN, now, "failure_threshold")
            if op is None:
                self._deliver()
                return None
            return self._publish_plan(op, now, "failure_threshold")
        return self._probe_plan(permit, failed=failed)

    def _probe_plan(self, probe: Probe, *, failed: bool | None) -> Plan:
        """Give back a probe permit and act on its outcome (a private breaker never yields)."""
        now = self._now()
        op: Op | None = None
        reason = "probe_failed" if failed else "probe_succeeded"
        with self._lock:
            if probe.epoch == self._epoch:
                self._probes -= 1
            if probe.generation == self._generation and self._state is HALF_OPEN:
                target: CircuitState | None = None
                if failed:
                    target = OPEN
                elif failed is not None:
                    self._probe_successes += 1
                    if self._probe_successes >= self._success_threshold:
                        target = CLOSED
                if target is not None and not self._shared:
                    self._move(target, now, reason)
                elif target is OPEN:  # shared: moved when the storage answers
                    trips = self._trips + 1
                    op = Op("publish", self._generation, "open", self._open_seconds(trips), trips)
                elif target is CLOSED:
                    op = Op("publish", self._generation, "closed", 0.0, 0)
        if op is not None:
            yield from self._publish_plan(op, now, reason)
        elif self._pending:
            self._deliver()
        if self._shared:
            yield Op("release", token=probe.token)

    def _run(self, plan: Plan) -> Any:
        return drive(self._storage, self.name, self._probe_args, plan)

    async def _arun(self, plan: Plan) -> Any:
        return await adrive(self._storage, self.name, self._probe_args, plan, self._orphaned)

    def _orphaned(self, result: Any) -> None:
        """A plan whose caller was cancelled ended in the background: give back its probe."""
        if isinstance(result, Probe):
            spawn(self._arun(self._probe_plan(result, failed=None)))

    # -- the hot path ----------------------------------------------------------------------
    def _acquire(self) -> Permit:
        gen = self._fast_gen
        if gen is not None and (not self._shared or self._now() < self._next_sync):
            return gen
        permit: Permit = self._run(self._acquire_plan(self._now()))
        return permit

    async def _aacquire(self) -> Permit:
        gen = self._fast_gen
        if gen is not None and (not self._shared or self._now() < self._next_sync):
            return gen
        permit: Permit = await self._arun(self._acquire_plan(self._now()))
        return permit


def _valid(record: BreakerRecord) -> bool:
    """Whether a stored record makes sense; anything else counts as no shared state."""
    return (
        record.state in FROM_NAME
        and record.generation >= 0
        and record.trips >= 0
        and math.isfinite(record.open_remaining)
        and record.open_remaining >= 0.0
    )
