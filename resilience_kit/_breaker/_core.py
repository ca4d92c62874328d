"""The circuit breaker's state machine: admission, outcome recording and the storage protocol.

Local state is guarded by one ``threading.Lock`` that is held only while admitting a call or
recording its outcome, never across the user's call, a storage call or an ``await``. Storage is
reached through plans (see ``_breaker_types``) so the sync and async paths share this code.

Transitions are optimistic: the local state moves at once (so this process stops admitting calls
without waiting for storage), then the transition is published with compare-and-set on the
generation; if another process moved first, its record is adopted instead.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from typing import Any, TypeAlias

from resilience_kit import _events
from resilience_kit._breaker._judge import Judge
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
)
from resilience_kit._breaker._window import Window
from resilience_kit._categories import ErrorCategory
from resilience_kit.exceptions import CircuitOpenError
from resilience_kit.metrics import _core as _metrics
from resilience_kit.storage._base import BreakerRecord, Storage

_LOAD = Op("load")
_Transition: TypeAlias = "tuple[CircuitState, CircuitState, str]"


class BreakerCore(Judge):
    """State machine of `CircuitBreaker`; see that class for the API."""

    name: str
    _now: Callable[[], float]
    _storage: Storage
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
        self._opened_at: float | None = None
        self._trips = 0
        self._probes = 0
        self._probe_successes = 0
        self._consecutive = 0
        self._rejected = 0
        self._forced = False
        self._disabled = False
        self._syncing = False
        self._next_sync = -math.inf if self._shared else math.inf
        self._fast_gen: int | None = 0
        self._inflight = 0  # optimistic transitions whose publish has not answered yet
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
        if self._state is OPEN and now >= self._open_until:
            return HALF_OPEN
        return self._state

    def _open_seconds(self, trips: int) -> float:
        cap = self._max_recovery_timeout
        try:
            seconds = min(self._recovery_timeout * self._recovery_backoff ** (trips - 1), cap)
        except OverflowError:
            seconds = cap
        if self._recovery_jitter:
            seconds *= 1.0 - self._recovery_jitter * random.random()
        return seconds

    def _transition(
        self, new: CircuitState, now: float, events: list[_Transition], reason: str
    ) -> Op:
        """Move to *new* locally (generation + 1); returns the publish request for storage."""
        old = self._state
        expected = self._generation
        self._generation = expected + 1
        self._state = new
        self._probes = 0
        self._probe_successes = 0
        open_seconds = 0.0
        if new is OPEN:
            self._trips += 1
            open_seconds = self._open_seconds(self._trips)
            self._open_until = now + open_seconds
            self._opened_at = now
        elif new is CLOSED:
            self._trips = 0
            self._consecutive = 0
            self._opened_at = None
            self._window.clear()
        self._refresh_fast()
        self._inflight += 1
        if old is not new:
            events.append((old, new, reason))
        return Op("publish", expected, TO_NAME[new], open_seconds, self._trips)

    def _adopt(
        self,
        record: BreakerRecord | None,
        now: float,
        events: list[_Transition],
        reason: str = "shared",
        *,
        force: bool = False,
    ) -> None:
        """Take over a stored record that is newer than (or differs at) our generation.

        An older record is ignored while one of our publishes is in flight (it may simply not
        have landed yet), and adopted with *force*: then the storage really is behind us (it
        was reset, or a Redis outage ended with another process's state written back).
        """
        if record is None or (record.generation < self._generation and not force):
            return
        new = FROM_NAME[record.state]
        if record.generation == self._generation and new is self._state:
            return
        old = self._state
        self._generation = record.generation
        self._state = new
        self._trips = record.trips
        self._probes = 0
        self._probe_successes = 0
        if new is OPEN:
            self._open_until = now + record.open_remaining
            if old is not OPEN:
                self._opened_at = now
        elif new is CLOSED:
            self._consecutive = 0
            self._opened_at = None
            self._window.clear()
        self._refresh_fast()
        if old is not new:
            events.append((old, new, reason))

    def _fire(self, events: list[_Transition]) -> None:
        for old, new, reason in events:
            self._metrics.state_changed(new.value)
            _events.emit(
                "breaker_state_changed",
                breaker=self.name,
                old_state=old.value,
                new_state=new.value,
                reason=reason,
            )
            for listener in tuple(self._listeners):
                self._notify(listener, old, new)

    def _notify(self, listener: Listener, old: CircuitState, new: CircuitState) -> None:
        try:
            listener(self.name, old, new)
        except Exception as exc:  # a listener's bug must never reach the caller
            _events.emit(
                "breaker_listener_failed",
                level="warning",
                breaker=self.name,
                error=type(exc).__name__,
            )

    def _rejection(self, state: CircuitState, retry_after: float) -> CircuitOpenError:
        self._metrics.rejected()
        # One info line per open (or half-open) spell; the rest at debug, so an open circuit under
        # load does not flood the log (metrics count every rejection).
        spell = (self._generation, state)
        first = spell != self._logged_rejection
        self._logged_rejection = spell
        _events.emit(
            "breaker_rejected",
            level="info" if first else "debug",
            breaker=self.name,
            state=state.value,
            retry_after=retry_after,
        )
        return CircuitOpenError(self.name, retry_after)

    # -- plans -----------------------------------------------------------------------------
    def _sync_plan(self, now: float) -> Plan:
        """Re-read the shared record (one caller at a time, at most every sync_interval)."""
        with self._lock:
            if self._syncing or now < self._next_sync:
                return
            self._syncing = True
        events: list[_Transition] = []
        try:
            record = yield _LOAD
        finally:
            with self._lock:
                self._syncing = False
                self._next_sync = now + self._sync_interval
        with self._lock:
            self._adopt(record, now, events, force=self._inflight == 0)
        self._fire(events)

    def _publish_plan(self, op: Op, now: float, events: list[_Transition]) -> Plan:
        """Publish an optimistic transition made by `_transition()`; adopt the answer."""
        self._fire(events)
        adopted: list[_Transition] = []
        try:
            record = yield op
        finally:
            with self._lock:
                self._inflight -= 1
        with self._lock:
            self._adopt(record, now, adopted, force=self._inflight == 0)
        self._fire(adopted)

    def _acquire_plan(self, now: float) -> Plan:
        if self._shared:
            yield from self._sync_plan(now)
        reject: tuple[CircuitState, float] | None
        for _ in range(3):  # each round follows a newer generation; more rounds means churn
            publish: Op | None = None
            reject = None
            with self._lock:
                if self._disabled:
                    return -1
                state = self._state
                if not self._forced and state is CLOSED:
                    return self._generation
                if self._forced:
                    reject = (OPEN, self._recovery_timeout)
                elif state is OPEN and now < self._open_until:
                    reject = (OPEN, self._open_until - now)
                elif state is OPEN:
                    # The open time is over. Not optimistic: probe permits may only be asked for
                    # a generation the storage already holds, so everyone waits for the CAS.
                    publish = Op("publish", self._generation, "half_open", 0.0, self._trips)
                elif self._probes >= self._half_open_max_calls:
                    reject = (HALF_OPEN, 0.0)
                else:
                    self._probes += 1
                generation = self._generation
            if publish is None:
                break
            record = yield publish
            events: list[_Transition] = []
            with self._lock:
                self._adopt(record, now, events, "recovery_timeout", force=self._inflight == 0)
            self._fire(events)
        else:
            reject = (HALF_OPEN, 0.0)  # the circuit kept moving under this call: turn it away
        if reject is not None:
            with self._lock:
                self._rejected += 1
            raise self._rejection(*reject)
        token = yield Op("acquire", generation)
        if token is None:
            with self._lock:
                if self._generation == generation:
                    self._probes -= 1
                self._rejected += 1
            raise self._rejection(HALF_OPEN, 0.0)
        return Probe(generation, token)

    def _retry_after(self, now: float) -> float:
        return max(self._open_until - now, 0.0) if self._state is OPEN else 0.0

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
                events: list[_Transition] = []
                op = self._transition(OPEN, now, events, "failure_threshold")
            return self._publish_plan(op, now, events)
        return self._probe_plan(permit, failed=failed)

    def _probe_plan(self, probe: Probe, *, failed: bool | None) -> Plan:
        now = self._now()
        events: list[_Transition] = []
        op: Op | None = None
        release = True
        with self._lock:
            if probe.generation == self._generation and self._state is HALF_OPEN:
                self._probes -= 1
                if failed:
                    op = self._transition(OPEN, now, events, "probe_failed")
                    release = False  # publishing "open" drops every lease
                elif failed is not None:
                    self._probe_successes += 1
                    if self._probe_successes >= self._success_threshold:
                        op = self._transition(CLOSED, now, events, "probe_succeeded")
                        release = False
        if op is not None:
            yield from self._publish_plan(op, now, events)
        if release:
            yield Op("release", token=probe.token)

    def _run(self, plan: Plan) -> Any:
        return drive(self._storage, self.name, self._probe_args, plan)

    async def _arun(self, plan: Plan) -> Any:
        return await adrive(self._storage, self.name, self._probe_args, plan)

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
