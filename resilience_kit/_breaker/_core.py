"""The circuit breaker's core: admission, outcome recording and the plans that tell storage.

Correct by construction: all state lives in one `Machine` and changes only under ``self._lock``,
in the same critical section as the decision that causes it, with the clock read inside that
section (a time read before the lock may be older than a move another thread just made). The
lock is never held across the user's call, a storage call, an ``await`` or a listener; listeners
are told in generation order by whichever thread finds events pending (``Teller``).

A private breaker (no *storage*) never talks to storage: its plans end without yielding. With
shared storage the same machine runs and its plans (sans-IO generators of ``Op`` requests, run by
``drive``/``adrive`` against the sync or async storage methods) tell the storage:

- a trip, the open -> half-open step and reset move locally at once, then are published;
- a probe's outcome is published first and adopted from the answer (two processes deciding at
  once end in the storage's one answer, a legal transition in each);
- a stored record is adopted only when it is newer than ours (or as new, with another state: the
  storage settled a tie between processes). An older record is never adopted: it means the
  storage is behind (key lost, reordered answers), and the next call writes its state back.
  Adopted open times are clamped to ``max_recovery_timeout``; a garbage record counts as none.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

from resilience_kit import _call, _clock
from resilience_kit._breaker._judge import Judge
from resilience_kit._breaker._machine import Machine
from resilience_kit._breaker._options import BreakerOptions, BreakerSnapshot
from resilience_kit._breaker._tell import Teller
from resilience_kit._breaker._types import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitState,
    Closed,
    Op,
    Permit,
    Plan,
    Probe,
    adrive,
    drive,
    spawn,
)
from resilience_kit._breaker._window import make_window
from resilience_kit.exceptions import CircuitOpenError
from resilience_kit.metrics import _core as _metrics
from resilience_kit.storage._base import BreakerStore

_LOAD = Op("load")


def _monotonic() -> float:
    return _clock.monotonic()  # looked up at call time: freezegun and testing.no_wait work


class BreakerCore:
    """The state machine of one [`CircuitBreaker`][resilience_kit.CircuitBreaker] (its API)."""

    def __init__(self, name: str, options: BreakerOptions) -> None:
        self.name = name
        self.options = options
        self.now: Callable[[], float] = _monotonic if options.clock is None else options.clock
        self.storage: BreakerStore | None = options.storage
        self.shared = options.storage is not None
        self._probe_args = (options.half_open_max_calls, options.probe_lease)
        self._lock = threading.Lock()
        self._metrics = _metrics.breaker(name)
        self.listeners = list(options.listeners)
        self._teller = Teller(name, self._lock, self.listeners, self._metrics)
        self.judge = Judge(name, options, self.now, self._metrics)
        window = make_window(options.window, options.failure_threshold)
        self._clocked = window.uses_clock
        self._m = Machine(options, window, self._teller, shared=self.shared)
        self._syncing = False
        self._next_sync = -math.inf if self.shared else math.inf

    # -- admission -------------------------------------------------------------------------
    def admit(self) -> Permit:
        """A permit for one call, or ``CircuitOpenError``; a healthy private circuit takes no
        lock (the closed spell's permit, checked again when the outcome is recorded)."""
        fast = self._m.fast
        if fast is not None and (not self.shared or self.now() < self._next_sync):
            return fast
        permit: Permit = self.run(self._acquire_plan())
        return permit

    async def aadmit(self) -> Permit:
        fast = self._m.fast
        if fast is not None and (not self.shared or self.now() < self._next_sync):
            return fast
        permit: Permit = await self.arun(self._acquire_plan())
        return permit

    def started(self) -> float:
        """The start time of a call whose duration is judged (0.0 when none is)."""
        return self.now() if self.judge.judges_results else 0.0

    # -- outcomes: each returns a plan when storage must be told ---------------------------
    def ok(self, permit: Permit) -> Plan | None:
        """A success: the hot path of a healthy circuit (no storage, one short lock)."""
        self._metrics.ok()
        if permit.__class__ is Closed:
            m = self._m
            with self._lock:
                if permit is m.closed_permit:
                    m.consecutive = 0
                    m.window.success(self.now() if self._clocked else 0.0)
            return None
        if isinstance(permit, Probe):
            return self._probe_plan(permit, failed=False)
        return None

    def returned(self, permit: Permit, result: Any, started: float) -> Plan | None:
        """A call returned *result*: a failure if it was slow or *is_failure_result* says so."""
        if self.judge.result(result, started):
            return self._settle(permit, failed=True)
        return self.ok(permit)

    def ended(self, permit: Permit, started: float) -> Plan | None:
        """A stream or ``with`` block ended without an exception: a failure only if slow."""
        if self.judge.slow_since(started):
            return self._settle(permit, failed=True)
        return self.ok(permit)

    def raised(self, permit: Permit, exc: BaseException) -> Plan | None:
        """The call raised *exc*: judged, then recorded (ignored outcomes give permits back)."""
        verdict = self.judge.exception(exc)
        return self._settle(permit, verdict.failed, verdict.provider)

    def announce(self, exc: BaseException) -> None:
        """After *exc* was recorded: if the circuit now refuses calls, tell the current call
        (``CallContext.rejection``), so an outer retry does not sleep into a certain
        rejection."""
        if not isinstance(exc, Exception):
            return
        with self._lock:
            refusing = self._m.refusing(self.now())
        if refusing is None:
            return
        error = CircuitOpenError(self.name, refusing)
        ctx = _call.current()
        if ctx is not None:
            ctx.rejection = _call.Rejection(self.name, refusing, _clock.monotonic(), error)

    def _settle(
        self, permit: Permit, failed: bool | None, provider: str | None = None
    ) -> Plan | None:
        self._metrics.settled(failed)
        if isinstance(permit, Probe):
            return self._probe_plan(permit, failed=failed, provider=provider)
        if failed is None or permit.__class__ is not Closed:
            return None
        m = self._m
        with self._lock:
            if permit is not m.closed_permit:
                return None  # admitted before a transition: must not touch the new state
            now = self.now() if (failed or self._clocked) else 0.0
            m.consecutive = m.consecutive + 1 if failed else 0
            if not m.window.record(failed, now):
                return None
            op = m.move(OPEN, now, "failure_threshold", provider)
        if op is None:
            self._teller.deliver()
            return None
        return self._publish_plan(op, "failure_threshold")

    # -- running plans ---------------------------------------------------------------------
    def run(self, plan: Plan) -> Any:
        return drive(self.storage, self.name, self._probe_args, plan)

    async def arun(self, plan: Plan) -> Any:
        return await adrive(self.storage, self.name, self._probe_args, plan, self._orphaned)

    def _orphaned(self, result: Any) -> None:
        """A plan whose caller was cancelled ended in the background: give back its probe."""
        if isinstance(result, Probe):
            spawn(self.arun(self._probe_plan(result, failed=None)))

    # -- plans -----------------------------------------------------------------------------
    def sync_plan(self, *, heal: bool = True) -> Plan:
        """Re-read the shared record (one caller at a time, at most every sync_interval).

        With *heal*, a storage that is behind gets our state written back; a read (``state``,
        ``snapshot()``) only adopts: it never writes, so a sync read from async code on an
        asyncio client (answered from the local mirror) cannot publish into that mirror."""
        with self._lock:
            if self._syncing or self.now() < self._next_sync:
                return
            self._syncing = True
        try:
            record = yield _LOAD
        finally:
            with self._lock:
                self._syncing = False
                self._next_sync = self.now() + self.options.sync_interval
        op: Op | None = None
        with self._lock:
            now = self.now()
            if not self._m.adopt(record, now) and self._m.generation > 0:
                if heal:  # the storage is behind us: write our state back
                    op = self._m.current_op(now)
                else:  # the next call heals it
                    self._next_sync = -math.inf
        if op is not None:
            yield from self._publish_plan(op)
        elif self._teller.pending:
            self._teller.deliver()

    def _publish_plan(self, op: Op, reason: str = "shared") -> Plan:
        """Publish a transition; adopt the answer if it is newer than what we know."""
        if self._teller.pending:
            self._teller.deliver()
        record = yield op
        with self._lock:
            agreed = record is not None and record.state == op.state
            # the time after the answer: a remaining open time is never cut short
            self._m.adopt(record, self.now(), reason if agreed else "shared")
        if self._teller.pending:
            self._teller.deliver()

    def _acquire_plan(self) -> Plan:
        if self.shared:
            yield from self.sync_plan()
        publish: Op | None = None
        reject: tuple[CircuitState, float] | None = None
        m = self._m
        with self._lock:
            if m.fast is not None:
                return m.fast
            now = self.now()
            refusing = m.refusing(now)
            if refusing is not None:
                reject = (OPEN, refusing)
            else:
                if m.state is OPEN:
                    publish = m.move(HALF_OPEN, now, "recovery_timeout")
                if m.probes < self.options.half_open_max_calls:
                    # Probes of an earlier half-open spell that are still running count too:
                    # the backend never sees more than half_open_max_calls probes at once. With
                    # storage the slot is taken before asking for a lease, so this process never
                    # has more leases (or requests for one) out than that, even when the storage
                    # answers from local state during an outage.
                    m.probes += 1
                else:
                    reject = (HALF_OPEN, 0.0)
            generation, epoch, provider = m.generation, m.epoch, m.opened_by
            if reject is not None:
                m.rejected += 1
        token: str | None = None
        try:  # from here on the slot taken above comes back unless a probe leaves with it
            if publish is not None:
                yield from self._publish_plan(publish, "recovery_timeout")
            elif self._teller.pending:
                self._teller.deliver()
            if reject is not None:
                raise self._teller.rejection(generation, *reject, provider)
            if not self.shared:
                token = ""
                return Probe(generation, "", epoch)
            token = yield Op("acquire", generation)
        finally:
            if reject is None and token is None:  # publish or acquire failed, or was cancelled
                with self._lock:
                    m.rejected += 1
                    self._next_sync = -math.inf  # re-read (and heal) the shared record next time
                    if epoch == m.epoch:
                        m.probes -= 1  # the slot taken above
        if token is None:
            raise self._teller.rejection(generation, HALF_OPEN, 0.0, provider)
        return Probe(generation, token, epoch)

    def _probe_plan(
        self, probe: Probe, *, failed: bool | None, provider: str | None = None
    ) -> Plan:
        """Give back a probe permit and act on its outcome (a private breaker never yields)."""
        op: Op | None = None
        reason = "probe_failed" if failed else "probe_succeeded"
        m = self._m
        with self._lock:
            now = self.now()
            if probe.epoch == m.epoch:
                m.probes -= 1
            if probe.generation == m.generation and m.state is HALF_OPEN:
                target: CircuitState | None = None
                if failed:
                    target = OPEN
                elif failed is not None:
                    m.probe_successes += 1
                    if m.probe_successes >= self.options.success_threshold:
                        target = CLOSED
                if target is not None and not self.shared:
                    m.move(target, now, reason, provider)
                elif target is OPEN:  # shared: moved when the storage answers
                    m.opened_by = provider
                    trips = m.trips + 1
                    op = Op("publish", m.generation, "open", m.open_seconds(trips), trips)
                elif target is CLOSED:
                    op = Op("publish", m.generation, "closed", 0.0, 0)
        if op is not None:
            yield from self._publish_plan(op, reason)
        elif self._teller.pending:
            self._teller.deliver()
        if self.shared:
            yield Op("release", token=probe.token)

    # -- inspection and control ------------------------------------------------------------
    @property
    def generation(self) -> int:
        return self._m.generation

    def visible(self) -> CircuitState:
        """The state now (an open spell found over is told to listeners as it is seen)."""
        with self._lock:
            state = self._m.observe(self.now())
        if self._teller.pending:
            self._teller.deliver()
        return state

    def snapshot(self) -> BreakerSnapshot:
        m = self._m
        with self._lock:
            now = self.now()
            calls, failures = m.window.counts(now)
            state = m.observe(now)
            refusing = m.refusing(now) if state is OPEN else None
            snap = BreakerSnapshot(
                name=self.name,
                state=state,
                generation=m.generation,
                calls=calls,
                failures=failures,
                failure_rate=failures / calls if calls else None,
                consecutive_failures=m.consecutive,
                opened_at=m.opened_at,
                retry_after=0.0 if refusing is None else refusing,
                trips=m.trips,
                probes_in_flight=m.probes,
                rejected=m.rejected,
                disabled=m.disabled,
                forced_open=m.forced,
                options=self.options,
            )
        if self._teller.pending:
            self._teller.deliver()
        return snap

    def touched(self) -> bool:
        """Whether this breaker is anything but closed and clean (for test isolation)."""
        m = self._m
        with self._lock:
            calls, _ = m.window.counts(self.now())
            return bool(m.forced or m.disabled or m.state is not CLOSED or m.consecutive) or bool(
                calls
            )

    def reset(self) -> None:
        """Close the circuit (everywhere the storage reaches), clear counts, undo overrides."""
        m = self._m
        for attempt in range(3):  # someone else moved meanwhile: closing is what was asked
            with self._lock:
                now = self.now()
                if attempt and m.state is CLOSED:
                    return
                before = m.visible(now)
                old = m.state
                m.forced = False
                m.disabled = False
                op = m.move(CLOSED, now, "reset")
                if old is CLOSED and before is not CLOSED:  # forced open: closed underneath
                    self._teller.queue(before, CLOSED, "reset", None)
            if op is None:
                self._teller.deliver()
                return
            self.run(self._publish_plan(op, "reset"))

    def override(self, *, forced: bool = False, disabled: bool = False) -> None:
        m = self._m
        with self._lock:
            now = self.now()
            before = m.visible(now)
            m.forced = m.forced or forced
            m.disabled = m.disabled or disabled
            m.refresh_fast()
            after = m.visible(now)
            if before is not after:
                reason = "forced_open" if forced else "disabled"
                self._teller.queue(before, after, reason, m.opened_by)
        self._teller.deliver()
