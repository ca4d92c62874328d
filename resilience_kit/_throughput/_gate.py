"""``RateLimitGate``: one 429 with a server hint holds back every caller, not just its receiver.

The block itself lives in a [`GateStore`][resilience_kit.storage.GateStore] (``gate_extend`` /
``gate_remaining``), so with ``RedisStorage`` every process honours it. On top of the block the
gate paces this process's callers after a 429 (see `_Pacer`): without pacing, everyone who
waited fires the moment the hint expires and the herd earns the next 429 at once.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import deque
from collections.abc import Generator
from contextvars import ContextVar
from typing import Any

from resilience_kit import _clock, _events, _waits
from resilience_kit._categories import ErrorCategory
from resilience_kit._checks import check_bool, check_instance, check_name, check_seconds
from resilience_kit._classify import classify_once
from resilience_kit._throughput._guard import Plan, Planned, Step, is_failure, sleep
from resilience_kit.exceptions import GateClosedError
from resilience_kit.storage._base import GateStore
from resilience_kit.storage._memory import MemoryStorage

_START_GROWTH = 0.02  # from the first estimate the pace grows 2% per success
_GROWTH = 0.02  # later it grows 2% per success once no 429 was seen for a window
_CUT = 0.9  # a 429 while paced lowers the pace to 90% of what the server accepted
_START = 0.8  # the first pace: 80% of the estimated server rate
_CUT_SPACING = 0.25  # a 429 of unknown send time cuts at most once per quarter window
_COOLDOWN_WINDOWS = 10  # pacing ends after this many windows without a 429
DEFAULT_MAX_BLOCK = 300.0  # the largest max_retry_after of the built-in presets ("batch")
_SAME_BLOCK = 0.05  # a block ending within this many seconds of the last logged one is the same

# (gate, epoch) of each gated call in flight in this context, innermost last: which pace
# schedule a call was sent under, so only 429s earned at the current pace cut it again. One
# ContextVar for every gate; a gate is held weakly, so an entry never keeps a gate alive.
_SENT: ContextVar[tuple[tuple[weakref.ref[RateLimitGate], int], ...]] = ContextVar(
    "resilience_kit_gate_sent", default=()
)


class _Pacer:
    """Spaces this process's calls after a 429 at the rate the server was accepting.

    On the first 429 the pace starts at ``_START`` times the server's estimated rate: the
    successes seen over the last *window* (or the part of it seen so far), or ``1 / hint`` (a
    token bucket's time to its next token) if lower, for a sub-second-precise hint of a
    request limit (a whole-second ``retry-after`` or a token limit's wait is not a rate); it then
    grows ``_START_GROWTH`` per success. A later 429 earned by a call sent at the current pace
    sets it to ``_CUT`` times the
    smaller of the pace and the rate the server accepted (429s of calls sent before the last change
    were earned at the old pace and do not cut again; one of unknown send time cuts at most once a
    quarter window); after a window
    without a 429 each success raises it by ``_GROWTH``, probing for more, but only while callers
    queue for slots (an idle pace cannot run away). Every change restarts the schedule: slots handed
    out at the old pace are invalid and their holders queue again. Pacing ends after
    ``_COOLDOWN_WINDOWS`` windows without a 429.
    """

    def __init__(self, window: float) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._rate: float | None = None
        self._next = -math.inf
        self._epoch = 0
        self._successes: deque[float] = deque()
        self._last_limited = -math.inf
        self._last_cut = -math.inf
        self._binding = False
        self._probing = False
        self._seen = -math.inf  # the latest time this pacer was told

    def _rebase(self, now: float) -> None:
        """A clock that jumped back (leaving ``freeze_time`` or ``no_wait()``, a VM restored) is
        taken as "no time passed": every stored time moves back with it, so the schedule never
        lies further ahead than what was set. Call with the lock held."""
        if now >= self._seen:
            self._seen = now
            return
        shift = self._seen - now
        self._seen = now
        self._next -= shift
        self._last_limited -= shift
        self._last_cut -= shift
        self._successes = deque(at - shift for at in self._successes)

    @property
    def rate(self) -> float | None:
        return self._rate

    @property
    def epoch(self) -> int:
        return self._epoch

    def reserve(self, now: float) -> tuple[float, int]:
        """Take the next send slot: (seconds to wait, schedule epoch); 0.0 when not pacing."""
        with self._lock:
            self._rebase(now)
            if self._rate is None:
                return 0.0, self._epoch
            if now - self._last_limited > _COOLDOWN_WINDOWS * self._window:
                self._rate = None
                return 0.0, self._epoch
            slot = self._next if self._next > now else now
            self._binding = slot > now
            self._next = slot + 1.0 / self._rate
            return slot - now, self._epoch

    def success(self, now: float) -> None:
        with self._lock:
            self._rebase(now)
            self._successes.append(now)
            self._trim(now)
            if (
                self._rate is not None
                and self._binding
                and (self._probing or now - self._last_limited >= self._window)
            ):
                self._rate *= 1.0 + (_START_GROWTH if self._probing else _GROWTH)

    def limited(
        self, now: float, hint: float, sent: int | None = None, limit: str | None = None
    ) -> None:
        """Account for a 429 with *hint*; *sent* is the epoch the call was sent in, if known;
        *limit* the limit it hit ("requests", "tokens" or None)."""
        rate_hint = not float(hint).is_integer() and limit != "tokens"
        with self._lock:
            self._rebase(now)
            self._trim(now)
            accepted = self._accepted(now)
            floor = 1.0 / self._window
            self._last_limited = now
            if self._rate is not None and (
                sent != self._epoch
                if sent is not None
                else now - self._last_cut < self._window * _CUT_SPACING
            ):
                return
            if self._rate is None:
                # Start low and probe up at once: the successes of the last window, or the
                # token-bucket estimate 1/hint (time to the next token) if that is lower. Only
                # a request-count hint is such an estimate: a whole-second retry-after (OpenAI
                # rounds up) or the wait of a token limit says little about the request rate.
                estimate = 1.0 / hint if hint > 0 and rate_hint else math.inf
                if accepted <= 0 and math.isinf(estimate):
                    estimate = 1.0 / hint if hint > 0 else 0.0
                target = _START * min(accepted if accepted > 0 else math.inf, estimate)
                self._probing = True
            else:
                self._probing = False
                target = _CUT * min(self._rate, accepted)
            self._rate = target if target > floor else floor
            self._last_cut = now
            self._epoch += 1
            self._next = now + hint

    def _accepted(self, now: float) -> float:
        """Successes per second over the last window (or the part of it seen so far)."""
        if not self._successes:
            return 0.0
        span = max(now - self._successes[0], self._window / 10)
        return len(self._successes) / span

    def _trim(self, now: float) -> None:
        horizon = now - self._window
        while self._successes and self._successes[0] <= horizon:
            self._successes.popleft()


class RateLimitGate(Planned):
    """After a RATE_LIMIT failure with a server hint, later calls wait until the hint expires.

    ``name`` identifies the gate in its *storage* (default: a private ``MemoryStorage``; pass a
    shared storage such as ``RedisStorage`` to hold back other processes too). A call that would
    wait longer than *max_wait* seconds raises ``GateClosedError`` (RATE_LIMIT, with
    ``retry_after``) at once instead of sleeping. With *pace* (default on), after a 429 this
    process's calls are also spaced at the rate the server was accepting, measured over *window*
    seconds, so the waiters do not stampede when the hint expires. A hint longer than *max_block*
    seconds (> 0; default 300, the longest hint a built-in preset accepts) is not adopted: it
    fails only the call that got it (logged as ``gate_hint_refused``), never everyone sharing the
    gate.
    *max_wait* bounds a caller's whole wait (blocks one after another, then its paced slot), so it
    may exceed *max_block*. Usable as ``@gate``, ``with gate:`` and ``async with gate:``; sleeps use
    the kit's clock (``no_wait`` works) and async callers never block the event loop.
    """

    def __init__(
        self,
        name: str,
        *,
        storage: GateStore | None = None,
        max_wait: float = 60.0,
        pace: bool = True,
        window: float = 1.0,
        max_block: float = DEFAULT_MAX_BLOCK,
    ) -> None:
        self.name: str = check_name("name", name)
        # 0 would refuse every hint (server hints are > 0): a gate that never blocks nor paces
        self.max_block: float = check_seconds("max_block", max_block, above=0.0)
        if storage is not None:
            check_instance(
                "storage",
                storage,
                GateStore,
                what="a GateStore or None",
            )
        self.storage: GateStore = MemoryStorage() if storage is None else storage
        self.max_wait: float = check_seconds("max_wait", max_wait)
        self.pace: bool = check_bool("pace", pace)
        self._pacer = _Pacer(check_seconds("window", window, above=0.0))
        self._logged_until = -math.inf  # the end of the last block logged at info
        self._ref: weakref.ref[RateLimitGate] = weakref.ref(self)

    def remaining(self) -> float:
        """Seconds until the gate opens (0.0 when open). On a storage with an asyncio client
        this is the last state read; use `aremaining()` from async code."""
        return self.storage.gate_remaining(self.name)

    async def aremaining(self) -> float:
        """Like `remaining()` through the storage's async path (never blocks the event loop)."""
        return await self.storage.agate_remaining(self.name)

    @property
    def paced_rate(self) -> float | None:
        """Calls per second this process is paced at, or None when not pacing."""
        return self._pacer.rate if self.pace else None

    def _blocked(self, blocked: float, waited: float) -> float:
        """Seconds to wait for a server-hinted block (0.0: open); raises past ``max_wait``."""
        if blocked <= 0:
            return 0.0
        self._check(blocked, waited)
        # The first caller held by a block logs at info, the others it holds at debug: fifty
        # waiters of one 429 are one line, not fifty.
        until = _clock.monotonic() + blocked
        first = abs(until - self._logged_until) > _SAME_BLOCK  # earlier: the clock jumped back
        if first:
            self._logged_until = until
        _events.emit(
            "gate_waiting",
            level="info" if first else "debug",
            gate=self.name,
            wait=round(blocked, 3),
            reason="server hint",
        )
        return blocked

    def _check(self, wait: float, waited: float) -> None:
        # The one wait rule: max_wait, the call's deadline and the attempt's timeout.
        _waits.fit(wait, self._refuse, self.max_wait, waited=waited)

    def _refuse(self, wanted: float, limit: _waits.Bound) -> GateClosedError:
        return GateClosedError(self.name, wanted, bounded_by=limit.describe())

    def _paced(self, waited: float) -> tuple[float, int]:
        """Seconds until this caller's paced send slot (0.0 when not pacing), and its epoch."""
        if not self.pace:
            return 0.0, 0
        wait, epoch = self._pacer.reserve(_clock.monotonic())
        if wait > 0:
            self._check(wait, waited)
        return wait, epoch

    def _stale(self, epoch: int) -> bool:
        """Whether the pace changed while this caller waited for its slot."""
        return self.pace and self._pacer.epoch != epoch

    def _through_block(self, waited: float) -> Generator[Step, Any, float]:
        """Wait out a server-hinted block (re-read after each sleep); the total waited."""
        while wait := self._blocked(
            (yield Step(self.storage, "gate_remaining", (self.name,))), waited
        ):
            yield sleep(wait)
            waited += wait
        return waited

    def _admit(self) -> Plan:
        waited = yield from self._through_block(0.0)
        while True:
            wait, epoch = self._paced(waited)
            if wait > 0:
                yield sleep(wait)
                # a 429 meanwhile may have closed it
                waited = yield from self._through_block(waited + wait)
                if self._stale(epoch):
                    continue
            self._push(epoch)
            return

    def _push(self, epoch: int) -> None:
        if self.pace:
            # Entries of gates that are gone (exited in another context) are dropped here, so
            # the one ContextVar never grows with the number of gates.
            kept = tuple(entry for entry in _SENT.get() if entry[0]() is not None)
            _SENT.set((*kept, (self._ref, epoch)))

    def _pop(self) -> int | None:
        """The epoch this context's innermost call through this gate was sent in, if known."""
        if not self.pace:
            return None
        sent = _SENT.get()
        for index in range(len(sent) - 1, -1, -1):
            if sent[index][0] is self._ref:
                _SENT.set(sent[:index] + sent[index + 1 :])
                return sent[index][1]
        return None  # exited in another context than it entered (a generator moved threads)

    def _hint(self, exc: BaseException | None) -> float | None:
        """The server hint to block for, or None; records successes for pacing."""
        sent = self._pop()
        if exc is None:
            self._pacer.success(_clock.monotonic())
            return None
        if not is_failure(exc):
            return None
        found = classify_once(exc)
        if found.category is not ErrorCategory.RATE_LIMIT or found.retry_after is None:
            return None
        if found.retry_after > self.max_block:  # "62291" or "1e309": not everyone's problem
            _events.emit(
                "gate_hint_refused",
                level="warning",
                gate=self.name,
                hint=found.retry_after,
                max_block=self.max_block,
            )
            return None
        if self.pace:
            self._pacer.limited(_clock.monotonic(), found.retry_after, sent, found.limit)
        return found.retry_after

    def _settle(self, exc: BaseException | None) -> Plan:
        hint = self._hint(exc)
        if hint is not None and hint > 0:
            yield Step(self.storage, "gate_extend", (self.name, hint))
