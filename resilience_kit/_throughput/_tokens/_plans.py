"""Admission and settlement of one call, written once as plans and driven sync or async.

A plan is a generator that yields `Op` requests (take from the storage, sleep, wait for a turn)
and receives their answers; `drive()` runs them blocking, `adrive()` awaiting. The decisions (who
goes, how long to wait, what an answer corrects) live only in the plans.

**FIFO without gaps or bursts.** Callers of one limiter queue in arrival order (a fair one-slot
queue shared by threads and event loops); only the caller at the head asks the storage, and it
takes its cost only when the whole cost fits. When the head leaves (admitted, cancelled or
refused), the next one becomes head at once and asks again, so nobody keeps a wake-up time
computed for a queue that changed, and a new caller queues behind those already waiting. Nor for
limits that changed: every settled answer ends the head's sleep (``_alarm``) and it asks again.

**Bounded by the call's time.** Every wait (the turn, the refill, a gate block) goes through
``_waits.fit``: the limiter's ``max_wait``, the call's deadline and the attempt's timeout; a wait
that cannot fit raises ``GateClosedError`` at once, naming the token limiter and the bound. A wait
that admits a call also leaves it the time the limiter's answered calls take (``_waits.Durations``,
recorded at settlement): a call admitted with a sliver of its timeout left would be cut in flight.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, NamedTuple

from resilience_kit import _clock, _waits
from resilience_kit._throughput._estimate import Estimate
from resilience_kit._throughput._guard import CLOCK
from resilience_kit._throughput._tokens._learn import Vec3
from resilience_kit._throughput._tokens._ticket import Ticket
from resilience_kit.exceptions import GateClosedError
from resilience_kit.storage._base import Reservation

if TYPE_CHECKING:
    from resilience_kit._throughput._tokens._core import LimiterCore

__all__ = ["Op", "Plan", "adrive", "admission", "drive"]


class Op(NamedTuple):
    """One request of a plan: *kind* and its arguments."""

    kind: str  # probe, turn, take, gate, sleep, nap, learn, settle, block
    args: tuple[Any, ...] = ()


Plan = Generator[Op, Any, Any]


def admission(limiter: LimiterCore, estimate: Estimate | None) -> Plan:
    """Wait for this call's turn and budget; returns its `Ticket`."""
    start = _clock.monotonic()
    refuse = _refuser(limiter.name)
    probe = False
    if limiter._needs_probe():
        bound = _waits.bound(limiter.max_wait, need=limiter._durations.need())
        if not (yield Op("probe", (_timeout(bound.seconds),))):
            raise refuse(bound.seconds, bound)
        probe = limiter._needs_probe()
        if not probe:
            limiter._probe.release()
    try:
        return (yield from _queued(limiter, estimate, start, probe))
    except BaseException:
        if probe:
            limiter._probe.release()
        raise


def _queued(limiter: LimiterCore, estimate: Estimate | None, start: float, probe: bool) -> Plan:
    refuse = _refuser(limiter.name)
    cost = limiter._cost(estimate)
    rate, _ = limiter._limits.shape()
    ahead = limiter._queue_wait(cost, rate)
    need = limiter._durations.need()
    _fit(ahead, refuse, limiter.max_wait, waited=_clock.monotonic() - start, need=need)
    bound = _waits.bound(limiter.max_wait, waited=_clock.monotonic() - start, need=need)
    limiter._join(cost)
    try:
        if not (yield Op("turn", (_timeout(bound.seconds),))):
            raise refuse(max(ahead, bound.seconds), bound)
        try:
            sent = yield from _head(limiter, cost, start)
        finally:
            limiter._queue.release()
    finally:
        limiter._leave(cost)
    split = limiter._limits.split
    return limiter._went(Ticket(cost, estimate, sent, _clock.monotonic(), probe, split))


def _head(limiter: LimiterCore, cost: Vec3, start: float) -> Plan:
    """At the head of the queue: take the cost once it fits; the sent counters after it."""
    refuse = _refuser(limiter.name)
    limiter._at_head(cost)
    while True:
        need = limiter._durations.need()
        if not limiter._limits.known():
            if not limiter._limits.blind:
                return None
            blocked: float = yield Op("gate", (limiter.key,))
            if blocked <= 0:
                return None
            waited = _clock.monotonic() - start
            yield Op("sleep", (_fit(blocked, refuse, limiter.max_wait, waited=waited, need=need),))
            continue
        rate, cap = limiter._limits.shape()
        seen = limiter._news.generation
        got: Reservation = yield Op("take", (limiter.key, cost, rate, cap))
        if got.sent is not None:
            return got.sent
        waited = _clock.monotonic() - start
        wait = _fit(got.wait, refuse, limiter.max_wait, waited=waited, need=need)
        limiter._head_until = _clock.monotonic() + wait
        if not _clock.overrides():
            yield Op("nap", (wait, seen))  # ended early by an answer: ask again
            continue
        # Virtual time (testing.no_wait): a storage on another clock (Redis) never sees the wait
        # pass; charge the cost as waited for instead of asking again.
        yield Op("sleep", (wait,))
        charge = {"level": tuple(-amount for amount in cost), "sent": cost}
        yield Op("settle", (limiter.key, {**charge, "rate": rate, "cap": cap}))
        return ()  # charged, counters unknown


def _fit(
    wanted: float, refuse: Any, max_wait: float | None, *, waited: float, need: float
) -> float:
    """*wanted* if it fits the one wait rule, leaving the call the *need* seconds its kind
    usually takes, else the limiter's own error (``_waits.fit``)."""
    return _waits.fit(wanted, refuse, max_wait, waited=waited, need=need)


def _refuser(name: str) -> Any:
    def refuse(wanted: float, bound: _waits.Bound) -> BaseException:
        return GateClosedError(
            name,
            wanted,
            bounded_by=bound.describe(),
            state=f"token limiter {name!r} cannot admit the call in time",
        )

    return refuse


def _timeout(seconds: float) -> float | None:
    return None if seconds == math.inf else seconds


def drive(limiter: LimiterCore, plan: Plan) -> Any:
    """Run *plan* blocking."""
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = plan.send(reply) if error is None else plan.throw(error)
        except StopIteration as stop:
            return stop.value
        error = None
        try:
            reply = _run(limiter, op)
        except BaseException as exc:  # handed to the plan, which cleans up and re-raises
            error = exc


async def adrive(limiter: LimiterCore, plan: Plan) -> Any:
    """Run *plan* without blocking the event loop."""
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = plan.send(reply) if error is None else plan.throw(error)
        except StopIteration as stop:
            return stop.value
        error = None
        try:
            reply = await _arun(limiter, op)
        except BaseException as exc:  # handed to the plan, which cleans up and re-raises
            error = exc


def _run(limiter: LimiterCore, op: Op) -> Any:
    target, method, args, kwargs = _step(limiter, op)
    return getattr(target, method)(*args, **kwargs)


async def _arun(limiter: LimiterCore, op: Op) -> Any:
    target, method, args, kwargs = _step(limiter, op)
    return await getattr(target, "a" + method)(*args, **kwargs)


def _step(limiter: LimiterCore, op: Op) -> tuple[Any, str, tuple[Any, ...], dict[str, Any]]:
    """Who answers *op*, by which method (its async twin is ``a`` + the name), with what."""
    storage = limiter.storage
    kind, args = op
    if kind == "probe":
        return limiter._probe, "acquire", args, {}
    if kind == "turn":
        return limiter._queue, "acquire", args, {}
    if kind == "sleep":
        return CLOCK, "sleep", args, {}
    if kind == "nap":
        return limiter._news, "sleep", args, {}
    if kind == "gate":
        return storage, "gate_remaining", args, {}
    if kind == "take":
        key, cost, rate, cap = args
        return storage, "tokens_take", (key,), {"cost": cost, "rate": rate, "cap": cap}
    if kind in ("learn", "settle"):
        return storage, f"tokens_{kind}", args[:1], args[1]
    return storage, "gate_extend", args, {}  # block
