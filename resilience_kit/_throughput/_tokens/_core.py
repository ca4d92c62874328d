"""The state of a token limiter and the small steps its plans take (see ``_limiter``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from resilience_kit import _call, _clock, _events, _waits
from resilience_kit._checks import check_instance, check_name, check_number, check_seconds
from resilience_kit._classify import Headers, snapshot
from resilience_kit._throughput._estimate import Estimate, estimate_tokens, usage_tokens
from resilience_kit._throughput._slots import Slots
from resilience_kit._throughput._tokens._alarm import Alarm
from resilience_kit._throughput._tokens._learn import Charges, Limits, Vec3
from resilience_kit._throughput._tokens._reading import read_limits
from resilience_kit._throughput._tokens._ticket import Ticket
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.storage._base import Storage
from resilience_kit.storage._memory import MemoryStorage

__all__ = ["LimiterCore"]


class LimiterCore:
    """What `TokenLimiter` knows and holds: limits, charges, the queue, the calls in flight."""

    def __init__(
        self,
        name: str = "tokens",
        *,
        rpm: float | None = None,
        tpm: float | None = None,
        period: float = 60.0,
        cost: Callable[..., int | None] | None = None,
        storage: Storage | None = None,
        max_wait: float | None = None,
    ) -> None:
        self.name: str = check_name("name", name)
        self.period: float = check_seconds("period", period, above=0.0)
        declared = [
            None if value is None else check_number(field, value, above=0.0)
            for field, value in (("rpm", rpm), ("tpm", tpm))
        ]
        if cost is not None and not callable(cost):
            raise ConfigurationError("cost", f"must be a callable or None, got {cost!r}")
        self.cost: Callable[..., int | None] | None = cost
        self.max_wait: float | None = (
            None if max_wait is None else check_seconds("max_wait", max_wait)
        )
        if storage is not None:
            check_instance("storage", storage, Storage, what="a Storage or None")
        self.storage: Storage = MemoryStorage() if storage is None else storage
        self._limits = Limits((declared[0], declared[1]), self.period)
        self._charges = Charges()
        self._probe = Slots(1)
        self._queue = Slots(1)  # the head of the FIFO queue holds it
        self._lock = threading.Lock()
        self._queued = [0.0, 0.0, 0.0]
        self._head_cost: Vec3 = (0.0, 0.0, 0.0)
        self._head_until = 0.0
        self._admitted = 0  # admissions so far
        self._flying: dict[int, Ticket] = {}  # admitted calls not settled yet, by order
        self._calls: dict[int, list[Ticket]] = {}  # by id(CallContext.call): decorated calls
        self._blocks: dict[tuple[int, int], list[Ticket]] = {}  # by thread and task: with blocks
        self._key = self.name
        self._durations = _waits.Durations()  # admission to answer: what a wait must leave
        self._news = Alarm()  # rung by every settled answer: the head's wait may be stale

    # -- public ------------------------------------------------------------------------------
    @property
    def limits(self) -> tuple[float | None, float | None]:
        """(requests, tokens) per period, as declared or learned; None where unknown."""
        with self._limits.lock:
            return (self._limits.limit[0] or None, self._limits.limit[1] or None)

    @property
    def key(self) -> str:
        """The storage name of this budget: *name*, plus the provider, a hash of the API key
        and the model once [`observe()`][resilience_kit.observe] attached a client."""
        return self._key

    @property
    def share(self) -> float:
        """The part of the learned budget this limiter uses (below 1.0 after 429s it did not
        predict: others spend the same key without shared storage)."""
        return self._limits.share

    def bind(self, identity: str) -> None:
        """Key the budget by *identity* (provider, key hash, model);
        [`observe()`][resilience_kit.observe] calls it."""
        self._key = f"{self.name}:{identity}"

    def observe_headers(self, headers: object) -> bool:
        """Learn from one answer's headers; True if they carried rate limits."""
        found = snapshot(headers)
        ticket = self._current()
        if not self._read(found, ticket):
            return False
        if ticket is not None:
            ticket.headers = found
            ticket.received = _clock.monotonic()
        return True

    def observe_answer(self, body: object) -> None:
        """Learn from one answer's JSON *body* (its ``usage``: what the provider measured);
        [`observe()`][resilience_kit.observe] calls it."""
        ticket = self._current()
        if ticket is not None:
            ticket.usage = usage_tokens(body)

    def observe_request(self, body: object) -> None:
        """Learn what a request going out is charged from its JSON *body* (a dict);
        [`observe()`][resilience_kit.observe] calls it."""
        if not isinstance(body, dict):
            return
        estimate = estimate_tokens(**{str(key): value for key, value in body.items()})
        if estimate is None:
            return
        self._charges.seen(estimate, self._limits.split)
        ticket = self._current()
        if ticket is not None:
            ticket.body = estimate

    def _estimate(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Estimate | None:
        if self.cost is not None:
            value: object = self.cost(*args, **kwargs)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError("cost", f"must return an int >= 0 or None, got {value!r}")
            return Estimate(value, None, "cost")
        return estimate_tokens(*args, **kwargs)

    def _cost(self, estimate: Estimate | None) -> Vec3:
        with self._limits.lock:
            requests, tokens = self._limits.limit[0], self._limits.limit[1]
        per_request = tokens / requests if requests and tokens else 0.0
        return self._charges.cost(estimate, self._limits.split, per_request)

    # -- the queue ---------------------------------------------------------------------------
    def _queue_wait(self, cost: Vec3, rate: Vec3) -> float:
        """About how long the callers queued ahead keep a new caller of *cost* waiting."""
        with self._lock:
            if self._queue.in_use == 0:
                return 0.0
            ahead = max(self._head_until - _clock.monotonic(), 0.0)
            return ahead + max(
                (
                    (self._queued[i] - self._head_cost[i] + cost[i]) / rate[i]
                    for i in range(3)
                    if rate[i] > 0
                ),
                default=0.0,
            )

    def _join(self, cost: Vec3) -> None:
        with self._lock:
            for i in range(3):
                self._queued[i] += cost[i]

    def _leave(self, cost: Vec3) -> None:
        with self._lock:
            for i in range(3):
                self._queued[i] -= cost[i]

    def _at_head(self, cost: Vec3) -> None:
        with self._lock:
            self._head_cost = cost
            self._head_until = 0.0

    def _went(self, ticket: Ticket) -> Ticket:
        """*ticket* went out: count it in flight."""
        with self._lock:
            ticket.order = self._admitted
            ticket.alone = not self._flying
            self._admitted += 1
            self._flying[ticket.order] = ticket
        return ticket

    def _ended(self, ticket: Ticket) -> None:
        with self._lock:
            self._flying.pop(ticket.order, None)

    def _earlier(self, ticket: Ticket) -> Vec3:
        """What the calls that went out before *ticket* and are still unanswered cost: its
        answer may not count them yet (the server admits concurrent requests in its own order)."""
        with self._lock:
            ahead = [other.cost for order, other in self._flying.items() if order < ticket.order]
        return (
            sum(cost[0] for cost in ahead),
            sum(cost[1] for cost in ahead),
            sum(cost[2] for cost in ahead),
        )

    def _alone(self, ticket: Ticket) -> bool:
        """Whether *ticket* had the budget to itself: nothing else in flight while it ran."""
        with self._lock:
            return ticket.alone and self._admitted == ticket.order + 1

    # -- probe and learning ------------------------------------------------------------------
    def _needs_probe(self) -> bool:
        """Whether a caller must go out alone first (no limits known yet)."""
        limits = self._limits
        return not limits.known() and not limits.blind and not limits.declared

    def _end_probe(self, ticket: Ticket, *, blind: bool) -> None:
        with self._lock:
            if not ticket.probe:
                return
            ticket.probe = False
        if blind and not self._limits.known():
            self._limits.blind = True
        self._probe.release()

    def _read(self, found: Headers, ticket: Ticket | None) -> bool:
        now = _clock.monotonic()
        reading = read_limits(found, sent_ago=None if ticket is None else now - ticket.at)
        if reading is None:
            return False
        cost = (0.0, 0.0, 0.0) if ticket is None else ticket.cost
        if ticket is not None and (
            reading.split != ticket.split  # charged before this was known
            or (ticket.estimate is None and ticket.body is not None)  # or before any was seen
        ):
            cost = self._charges.cost(ticket.estimate or ticket.body, reading.split, 0.0)
        sent = None if ticket is None else ticket.sent
        at = now if ticket is None else ticket.at
        if self._limits.learn(reading, cost, sent, at):
            limit, rate = self._limits.told()
            _events.emit(
                "tokens_learned",
                limiter=self.name,
                requests=limit[0] or None,
                tokens=limit[1] or None,
                output_tokens=limit[2] or None,
                period=limit[1] / rate[1] if rate[1] else limit[0] / rate[0] if rate[0] else None,
                requests_per_second=rate[0] or None,
                tokens_per_second=rate[1] or None,
                output_tokens_per_second=rate[2] or None,
            )
        return True

    # -- which call an answer belongs to -----------------------------------------------------
    def _register(self, ctx: _call.CallContext, ticket: Ticket) -> None:
        with self._lock:
            self._calls.setdefault(id(ctx.call), []).append(ticket)

    def _unregister(self, ctx: _call.CallContext, ticket: Ticket) -> None:
        with self._lock:
            held = self._calls.get(id(ctx.call), [])
            if ticket in held:
                held.remove(ticket)
            if not held:
                self._calls.pop(id(ctx.call), None)

    def _push(self, ticket: Ticket) -> None:
        with self._lock:
            self._blocks.setdefault(_where(), []).append(ticket)

    def _pop(self) -> Ticket | None:
        with self._lock:
            held = self._blocks.get(_where())
            ticket = held.pop() if held else None
            if held is not None and not held:
                self._blocks.pop(_where(), None)
            return ticket

    def _current(self) -> Ticket | None:
        ctx = _call.current()
        with self._lock:
            held = self._calls.get(id(ctx.call)) if ctx is not None else None
            if held:
                return held[-1]
            blocks = self._blocks.get(_where())
            return blocks[-1] if blocks else None


def _where() -> tuple[int, int]:
    """This thread and asyncio task: where a ``with`` block's enter and exit meet."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running event loop in this thread
        task = None
    return threading.get_ident(), 0 if task is None else id(task)
