"""``RateLimitGate``: one 429 with a server hint holds back every caller, not just its receiver.

The block itself lives in a :class:`~resilience_kit.storage.Storage` (``gate_extend`` /
``gate_remaining``), so with ``RedisStorage`` every process honours it. On top of the block the
gate paces this process's callers after a 429 (see :class:`_Pacer`): without pacing, everyone who
waited fires the moment the hint expires and the herd earns the next 429 at once.
"""

from __future__ import annotations

import math
import threading
from collections import deque

from resilience_kit import _clock, _events
from resilience_kit._categories import ErrorCategory
from resilience_kit._checks import check_name, check_number
from resilience_kit._classification import classify
from resilience_kit._guard import Guard, is_failure
from resilience_kit.exceptions import GateClosedError
from resilience_kit.storage._base import Storage
from resilience_kit.storage._memory import MemoryStorage

_GROWTH = 0.002  # paced rate grows 0.2% per success: ~+10%/s at 50 req/s, a gentle probe
_CUT = 0.9  # a 429 while paced lowers the pace to 90% of what the server accepted
_COOLDOWN_WINDOWS = 10  # pacing ends after this many windows without a 429


class _Pacer:
    """Spaces this process's calls after a 429 at the rate the server was accepting.

    On the first 429 the pace becomes the success rate measured over the last *window* seconds
    (what the server admitted while we pushed); each success raises it a little, a later 429
    lowers it (at most once per window) to ``_CUT`` times the accepted rate. Pacing ends after
    ``_COOLDOWN_WINDOWS`` windows without a 429.
    """

    def __init__(self, window: float) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._rate: float | None = None
        self._next = -math.inf
        self._successes: deque[float] = deque()
        self._last_limited = -math.inf
        self._last_cut = -math.inf

    @property
    def rate(self) -> float | None:
        return self._rate

    def reserve(self, now: float) -> float:
        """Take the next send slot; seconds to wait for it (0.0 when not pacing)."""
        with self._lock:
            if self._rate is None:
                return 0.0
            if now - self._last_limited > _COOLDOWN_WINDOWS * self._window:
                self._rate = None
                return 0.0
            slot = self._next if self._next > now else now
            self._next = slot + 1.0 / self._rate
            return slot - now

    def success(self, now: float) -> None:
        with self._lock:
            self._successes.append(now)
            self._trim(now)
            if self._rate is not None:
                self._rate *= 1.0 + _GROWTH

    def limited(self, now: float, hint: float) -> None:
        with self._lock:
            self._trim(now)
            accepted = len(self._successes) / self._window
            floor = 1.0 / self._window
            if self._rate is None:
                self._rate = accepted if accepted > floor else floor
                self._last_cut = now
            elif now - self._last_cut >= self._window:
                target = _CUT * (accepted if accepted < self._rate else self._rate)
                self._rate = target if target > floor else floor
                self._last_cut = now
            self._last_limited = now
            if self._next < now + hint:
                self._next = now + hint

    def _trim(self, now: float) -> None:
        horizon = now - self._window
        while self._successes and self._successes[0] <= horizon:
            self._successes.popleft()


class RateLimitGate(Guard):
    """After a RATE_LIMIT failure with a server hint, later calls wait until the hint expires.

    ``name`` identifies the gate in its *storage* (default: a private ``MemoryStorage``; pass a
    shared storage such as ``RedisStorage`` to hold back other processes too). A call that would
    wait longer than *max_wait* seconds raises ``GateClosedError`` (RATE_LIMIT, with
    ``retry_after``) at once instead of sleeping. With *pace* (default on), after a 429 this
    process's calls are also spaced at the rate the server was accepting, measured over *window*
    seconds, so the waiters do not stampede when the hint expires. Usable as ``@gate``,
    ``with gate:`` and ``async with gate:``; sleeps use the kit's clock (``no_wait`` works) and
    async callers never block the event loop.
    """

    def __init__(
        self,
        name: str,
        *,
        storage: Storage | None = None,
        max_wait: float = 60.0,
        pace: bool = True,
        window: float = 1.0,
    ) -> None:
        self.name = check_name("name", name)
        self.storage: Storage = MemoryStorage() if storage is None else storage
        self.max_wait = check_number("max_wait", max_wait, at_least=0.0)
        self.pace = pace
        self._pacer = _Pacer(check_number("window", window, above=0.0))

    def remaining(self) -> float:
        """Seconds until the gate opens (0.0 when open)."""
        return self.storage.gate_remaining(self.name)

    @property
    def paced_rate(self) -> float | None:
        """Calls per second this process is paced at, or None when not pacing."""
        return self._pacer.rate if self.pace else None

    def _blocked(self, blocked: float, waited: float) -> float:
        """Seconds to wait for a server-hinted block (0.0: open); raises past ``max_wait``."""
        if blocked <= 0:
            return 0.0
        self._check(blocked, waited)
        _events.emit("gate_waiting", gate=self.name, wait=round(blocked, 3), reason="server hint")
        return blocked

    def _check(self, wait: float, waited: float) -> None:
        if waited + wait > self.max_wait:
            raise GateClosedError(self.name, wait)

    def _paced(self, waited: float) -> float:
        """Seconds until this caller's paced send slot (0.0 when not pacing)."""
        if not self.pace:
            return 0.0
        wait = self._pacer.reserve(_clock.monotonic())
        if wait > 0:
            self._check(wait, waited)
        return wait

    def _wait_block(self, waited: float) -> float:
        while wait := self._blocked(self.storage.gate_remaining(self.name), waited):
            _clock.sleep(wait)
            waited += wait
        return waited

    async def _await_block(self, waited: float) -> float:
        while wait := self._blocked(await self.storage.agate_remaining(self.name), waited):
            await _clock.async_sleep(wait)
            waited += wait
        return waited

    def _enter(self) -> None:
        waited = self._wait_block(0.0)
        wait = self._paced(waited)
        if wait > 0:
            _clock.sleep(wait)
            self._wait_block(waited + wait)  # another caller may have closed the gate meanwhile

    async def _aenter(self) -> None:
        waited = await self._await_block(0.0)
        wait = self._paced(waited)
        if wait > 0:
            await _clock.async_sleep(wait)
            await self._await_block(waited + wait)

    def _hint(self, exc: BaseException | None) -> float | None:
        """The server hint to block for, or None; records successes for pacing."""
        if exc is None:
            self._pacer.success(_clock.monotonic())
            return None
        if not is_failure(exc):
            return None
        found = classify(exc)
        if found.category is not ErrorCategory.RATE_LIMIT or found.retry_after is None:
            return None
        if self.pace:
            self._pacer.limited(_clock.monotonic(), found.retry_after)
        return found.retry_after

    def _exit(self, exc: BaseException | None) -> None:
        hint = self._hint(exc)
        if hint is not None and hint > 0:
            self.storage.gate_extend(self.name, hint)

    async def _aexit(self, exc: BaseException | None) -> None:
        hint = self._hint(exc)
        if hint is not None and hint > 0:
            await self.storage.agate_extend(self.name, hint)
