"""``TokenLimiter``: admit a call only when one request and its tokens fit the provider's budget.

The budget is two buckets, requests and tokens, refilled continuously at the provider's limit per
*period*. The limits are declared (``rpm=``, ``tpm=``) or learned from the rate-limit headers of
every answer, successful or not, once the limiter is attached to the client's HTTP layer with
[`observe()`][resilience_kit.observe]. Each answer also corrects the level: its ``remaining`` is the
server's count when that request was admitted, so the limiter sets ``level = remaining + refill
since then - what it reserved since then`` (this also counts other processes' calls on the same
key). The actual usage of a successful answer corrects the estimate; a 429 gives its reservation
back.

Before any limit is known, one call at a time goes out (a probe) until an answer says the limits;
if answers carry no rate-limit headers, the limiter steps aside and, after a 429 with a server
hint, holds every caller for that hint (the reactive gate's behaviour).

The state lives in a [`Storage`][resilience_kit.storage.Storage]: ``RedisStorage`` shares one budget
across processes (atomic reservations in Lua, timed by the Redis server).
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from typing_extensions import ParamSpec

from resilience_kit import _clock, _events
from resilience_kit._callables import callable_kind, through_descriptor
from resilience_kit._categories import ErrorCategory
from resilience_kit._checks import check_instance, check_name, check_number, check_seconds
from resilience_kit._classify import (
    Headers,
    RateLimitReading,
    classify_once,
    read_rate_limits,
    snapshot,
)
from resilience_kit._throughput._estimate import Estimate, estimate_tokens, usage_tokens
from resilience_kit._throughput._guard import Guard, guard_function, is_failure
from resilience_kit._throughput._slots import Slots
from resilience_kit.exceptions import ConfigurationError, GateClosedError
from resilience_kit.storage._base import Pair, Storage
from resilience_kit.storage._memory import MemoryStorage

__all__ = ["TokenLimiter"]

P = ParamSpec("P")
R = TypeVar("R")

_NONE: Pair = (0.0, 0.0)
_SHARE_CUT = 0.9  # an unpredicted 429 uses 10% less of the budget
_SHARE_GROWTH = 0.002  # each success takes back 0.2 percentage points
_MIN_SHARE = 0.02


@dataclass
class _Ticket:
    """One admitted call: what it was charged and when, and the answer's headers once seen."""

    limiter: TokenLimiter
    cost: Pair
    estimate: Estimate | None
    counters: Pair  # the storage's ``sent`` counters right after this call went out
    sent: float
    probe: bool
    previous: _Ticket | None
    headers: Headers | None = None
    received: float | None = None  # when the answer's headers arrived


_CURRENT: ContextVar[_Ticket | None] = ContextVar("resilience_kit_token_ticket", default=None)


class TokenLimiter(Guard):
    """Proactive admission against a provider's requests and tokens limits (see the module doc).

    *rpm* / *tpm* declare the limits (requests and tokens per *period* seconds, 60 for the
    providers' per-minute limits); without them the limits are learned from the answers of a
    client attached with [`observe()`][resilience_kit.observe]. *cost* estimates a call's tokens
    from the decorated function's arguments (an ``int``, or ``None`` for "unknown"); the default
    reads OpenAI and Anthropic shaped keyword arguments (``messages``, ``system``, ``max_tokens``,
    ...) and falls back to the average of the answers seen. A call that would wait longer than
    *max_wait* seconds raises ``GateClosedError`` instead (None: wait as long as it takes).
    *storage* defaults to a private ``MemoryStorage``; ``RedisStorage`` shares the budget between
    processes. Usable as ``@limiter`` (the cost is read from the call's arguments),
    ``with limiter:`` and ``async with limiter:`` (the average cost), and in
    ``resilient(tokens=...)``.
    """

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
        self._lock = threading.Lock()
        self._limit: list[float] = [d or 0.0 for d in declared]
        self._rate: list[float] = [(d or 0.0) / self.period for d in declared]
        self._cap: list[float] = [d or 0.0 for d in declared]
        self._declared = any(d is not None for d in declared)
        self._blind = False  # answers carry no rate-limit headers: stand aside
        # The part of the budget this limiter may use: 1.0 unless 429s it did not predict say that
        # others (processes without shared storage) spend the same key; AIMD, see _learn_share.
        self._share = 1.0
        self._last_cut = -math.inf
        self._average: float | None = None  # tokens of an answer, moving average
        self._scale = 1.0  # actual prompt tokens per estimated one, moving average
        self._probe = Slots(1)
        self._key = self.name

    # -- public ------------------------------------------------------------------------------
    @property
    def limits(self) -> tuple[float | None, float | None]:
        """(requests, tokens) per period, as declared or learned; None where unknown."""
        with self._lock:
            return (self._limit[0] or None, self._limit[1] or None)

    @property
    def key(self) -> str:
        """The storage name of this budget: *name*, plus the provider, a hash of the API key
        and the model once [`observe()`][resilience_kit.observe] attached a client."""
        return self._key

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorate *fn*: each call is admitted with the tokens its arguments are estimated at."""
        kind = callable_kind(fn)
        if kind in {"generator", "async_generator"}:
            return guard_function(self, fn)
        return through_descriptor(fn, self._wrap)

    def _wrap(self, func: Callable[P, R]) -> Callable[P, R]:
        fn: Any = func  # narrowed by its kind, which type checkers cannot follow
        if callable_kind(func) == "async":

            @functools.wraps(fn)
            async def call_async(*args: Any, **kwargs: Any) -> Any:
                ticket = await self._aadmit(self._estimate(args, kwargs))
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as exc:
                    await self._afinish(ticket, exc, None)
                    raise
                await self._afinish(ticket, None, result)
                return result

            return cast("Callable[P, R]", call_async)

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            ticket = self._admit(self._estimate(args, kwargs))
            try:
                result: R = fn(*args, **kwargs)
            except BaseException as exc:
                self._finish(ticket, exc, None)
                raise
            self._finish(ticket, None, result)
            return result

        return call

    # -- Guard (with / async with: the average cost) -----------------------------------------
    def _enter(self) -> None:
        self._admit(None)

    async def _aenter(self) -> None:
        await self._aadmit(None)

    def _exit(self, exc: BaseException | None) -> None:
        ticket = _CURRENT.get()
        if ticket is not None and ticket.limiter is self:
            self._finish(ticket, exc, None)

    async def _aexit(self, exc: BaseException | None) -> None:
        ticket = _CURRENT.get()
        if ticket is not None and ticket.limiter is self:
            await self._afinish(ticket, exc, None)

    # -- learning ----------------------------------------------------------------------------
    def bind(self, identity: str) -> None:
        """Key the budget by *identity* (provider, key hash, model);
        [`observe()`][resilience_kit.observe] calls it."""
        self._key = f"{self.name}:{identity}"

    def observe_headers(self, headers: object) -> bool:
        """Learn from one answer's headers; True if they carried rate limits."""
        found = snapshot(headers)
        reading = read_rate_limits(found)
        if reading is None:
            return False
        self._learn(reading)
        ticket = _CURRENT.get()
        if ticket is not None and ticket.limiter is self:
            ticket.headers = found
            ticket.received = _clock.monotonic()
        return True

    def _learn(self, reading: RateLimitReading) -> None:
        first = False
        with self._lock:
            for i in (0, 1):
                limit = reading.limit[i]
                if not limit:
                    continue
                rate = limit / self.period
                cap = limit
                left, reset = reading.remaining[i], reading.reset[i]
                if left is not None and reset is not None:
                    cap = min(limit, max(left + rate * reset, 1.0))
                first = first or self._rate[i] == 0
                self._limit[i], self._rate[i], self._cap[i] = limit, rate, cap
            self._blind = False
        if first:
            _events.emit(
                "tokens_learned",
                limiter=self.name,
                requests=reading.limit[0],
                tokens=reading.limit[1],
                period=self.period,
            )

    def _known(self) -> bool:
        return self._rate[0] > 0 or self._rate[1] > 0

    def _shape(self) -> tuple[Pair, Pair]:
        with self._lock:
            share = self._share
            rate = (self._rate[0] * share, self._rate[1] * share)
            return rate, (self._cap[0] * share, self._cap[1] * share)

    @property
    def share(self) -> float:
        """The part of the learned budget this limiter uses (below 1.0 after 429s it did not
        predict: others spend the same key without shared storage)."""
        return self._share

    def _learn_share(self, ticket: _Ticket, *, unpredicted: bool) -> None:
        """Cut the share by ``_SHARE_CUT`` on a 429 of a call sent at the current share (once per
        change), raise it by ``_SHARE_GROWTH`` per success."""
        with self._lock:
            if unpredicted:
                if ticket.sent > self._last_cut:
                    self._share = max(_MIN_SHARE, self._share * _SHARE_CUT)
                    self._last_cut = _clock.monotonic()
            elif self._share < 1.0:
                self._share = min(1.0, self._share + _SHARE_GROWTH)

    def _estimate(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Estimate | None:
        if self.cost is not None:
            value: object = self.cost(*args, **kwargs)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError("cost", f"must return an int >= 0 or None, got {value!r}")
            return Estimate(value, None)
        return estimate_tokens(*args, **kwargs)

    def _tokens_of(self, estimate: Estimate | None) -> float:
        if estimate is not None:
            return estimate.prompt * self._scale + (estimate.output or 0)
        if self._average is not None:
            return self._average
        with self._lock:
            if self._limit[0] and self._limit[1]:
                return self._limit[1] / self._limit[0]
        return 0.0

    # -- admission ---------------------------------------------------------------------------
    def _start_probe(self) -> bool:
        """Whether this caller must go out alone first (no limits known yet)."""
        return not self._known() and not self._blind and not self._declared

    def _admit(self, estimate: Estimate | None) -> _Ticket:
        probe = False
        if self._start_probe():
            self._probe.acquire(None)
            probe = self._start_probe()
            if not probe:
                self._probe.release()
        try:
            if self._blind and not self._known():
                blocked = self._blocked(self.storage.gate_remaining(self._key))
                if blocked > 0:
                    _clock.sleep(blocked)
            cost = (1.0, self._tokens_of(estimate))
            rate, cap = self._shape()
            reserved = self.storage.tokens_reserve(self._key, cost=cost, rate=rate, cap=cap)
            counters = reserved.sent
            if counters is None:
                try:
                    self._blocked(reserved.wait)
                    _clock.sleep(reserved.wait)
                except BaseException:
                    self.storage.tokens_adjust(
                        self._key, level=cost, sent=_NONE, rate=rate, cap=cap, pending=_minus(cost)
                    )
                    raise
                counters = self.storage.tokens_send(self._key, cost=cost)
        except BaseException:
            if probe:
                self._probe.release()
            raise
        return self._ticket(cost, estimate, counters, probe)

    async def _aadmit(self, estimate: Estimate | None) -> _Ticket:
        probe = False
        if self._start_probe():
            await self._probe.aacquire(None)
            probe = self._start_probe()
            if not probe:
                self._probe.release()
        try:
            if self._blind and not self._known():
                blocked = self._blocked(await self.storage.agate_remaining(self._key))
                if blocked > 0:
                    await _clock.async_sleep(blocked)
            cost = (1.0, self._tokens_of(estimate))
            rate, cap = self._shape()
            reserved = await self.storage.atokens_reserve(self._key, cost=cost, rate=rate, cap=cap)
            counters = reserved.sent
            if counters is None:
                try:
                    self._blocked(reserved.wait)
                    await _clock.async_sleep(reserved.wait)
                except BaseException:
                    await self.storage.atokens_adjust(
                        self._key, level=cost, sent=_NONE, rate=rate, cap=cap, pending=_minus(cost)
                    )
                    raise
                counters = await self.storage.atokens_send(self._key, cost=cost)
        except BaseException:
            if probe:
                self._probe.release()
            raise
        return self._ticket(cost, estimate, counters, probe)

    def _blocked(self, wait: float) -> float:
        if self.max_wait is not None and wait > self.max_wait:
            raise GateClosedError(self.name, wait)
        return wait

    def _ticket(self, cost: Pair, estimate: Estimate | None, spent: Pair, probe: bool) -> _Ticket:
        ticket = _Ticket(self, cost, estimate, spent, _clock.monotonic(), probe, _CURRENT.get())
        _CURRENT.set(ticket)
        return ticket

    # -- accounting --------------------------------------------------------------------------
    def _settle(
        self, ticket: _Ticket, exc: BaseException | None, result: object
    ) -> tuple[Any, ...] | None:
        """What to tell the storage about a finished call: ("sync", kwargs, adjust) or None."""
        if _CURRENT.get() is ticket:
            _CURRENT.set(ticket.previous)
        headers = ticket.headers
        limited = False
        hint: float | None = None
        if exc is not None and is_failure(exc):
            found = classify_once(exc)
            # A 429 (or a gate inside that refused to send) was not charged by the server.
            limited = found.category is ErrorCategory.RATE_LIMIT
            hint = found.retry_after
            if found.status_code == 429 and not ticket.probe and self._known():
                self._learn_share(ticket, unpredicted=True)
            if headers is None:
                response_headers = getattr(getattr(exc, "response", None), "headers", None)
                if response_headers is not None and self.observe_headers(response_headers):
                    headers = snapshot(response_headers)
        if ticket.probe:
            if headers is None and (exc is None or limited):
                self._blind = True  # an answer without rate-limit headers: stand aside
            self._probe.release()
        rate, cap = self._shape()
        reading = None if headers is None else read_rate_limits(headers)
        level = [0.0, 0.0]
        spent = [0.0, 0.0]
        if limited:  # the server did not charge a rejected request
            spent = [-ticket.cost[0], -ticket.cost[1]]
            if reading is None:
                level = [ticket.cost[0], ticket.cost[1]]
        elif exc is None:
            self._learn_share(ticket, unpredicted=False)
            used = usage_tokens(result)
            if used is not None:
                output = ticket.estimate.output if ticket.estimate else None
                actual = used[0] + (output if output is not None else used[1])
                if ticket.estimate is not None and ticket.estimate.prompt > 0:
                    ratio = used[0] / ticket.estimate.prompt
                    self._scale = 0.9 * self._scale + 0.1 * ratio
                self._average = (
                    actual if self._average is None else 0.9 * self._average + 0.1 * actual
                )
                delta = actual - ticket.cost[1]
                spent[1] = delta
                if reading is None:
                    level[1] = -delta
        sync = None
        if reading is not None:
            share = self._share
            left = reading.remaining
            sync = {
                "remaining": (
                    None if left[0] is None else left[0] * share,
                    None if left[1] is None else left[1] * share,
                ),
                # Refill since the answer arrived, not since the request was sent: the server
                # counted it somewhere in between, and crediting less errs on the safe side.
                "age": _clock.monotonic() - (ticket.received or _clock.monotonic()),
                "sent": ticket.counters,
                "rate": rate,
                "cap": cap,
            }
        adjust = None
        if any(level) or any(spent):
            adjust = {
                "level": (level[0], level[1]),
                "sent": (spent[0], spent[1]),
                "rate": rate,
                "cap": cap,
            }
        block = hint if limited and self._blind and hint else None
        return (sync, adjust, block)

    def _finish(self, ticket: _Ticket, exc: BaseException | None, result: object) -> None:
        plan = self._settle(ticket, exc, result)
        if plan is None:
            return
        sync, adjust, block = plan
        if sync is not None:
            self.storage.tokens_sync(self._key, **sync)
        if adjust is not None:
            self.storage.tokens_adjust(self._key, **adjust)
        if block is not None:
            self.storage.gate_extend(self._key, block)

    async def _afinish(self, ticket: _Ticket, exc: BaseException | None, result: object) -> None:
        plan = self._settle(ticket, exc, result)
        if plan is None:
            return
        sync, adjust, block = plan
        if sync is not None:
            await self.storage.atokens_sync(self._key, **sync)
        if adjust is not None:
            await self.storage.atokens_adjust(self._key, **adjust)
        if block is not None:
            await self.storage.agate_extend(self._key, block)


def _minus(pair: Pair) -> Pair:
    return -pair[0], -pair[1]
