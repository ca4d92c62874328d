"""``AdaptiveLimiter``: an AIMD concurrency limit that learns how much the server accepts."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable

from resilience_kit import _clock, _events, _waits
from resilience_kit._categories import ErrorCategory
from resilience_kit._checks import check_int, check_members, check_name, check_number, check_seconds
from resilience_kit._classify import classify_once
from resilience_kit._throughput._guard import Plan, Planned, Step, is_failure
from resilience_kit._throughput._slots import Slots
from resilience_kit.exceptions import BulkheadFullError, ConfigurationError

_DEFAULT_DECREASE_ON = frozenset({ErrorCategory.RATE_LIMIT, ErrorCategory.OVERLOADED})


class AdaptiveLimiter(Planned):
    """Additive-increase, multiplicative-decrease limit on concurrent calls.

    Starts at *initial* concurrent calls. A call that fails with a category in *decrease_on*
    (default RATE_LIMIT, OVERLOADED) multiplies the limit by *decrease* (default 0.5), at most
    once per *window* seconds, so one burst of 429s halves it once. Every success adds
    ``1 / limit`` (about +1 per round trip of a full limit). The limit stays within
    [*min*, *max*]. Other failures and cancellations leave it alone. A caller that finds the
    limit reached waits (FIFO) up to *max_wait* seconds (None: as long as it takes), then gets
    ``BulkheadFullError``. Usable as ``@limiter``, ``with limiter:`` and ``async with limiter:``;
    one limiter may be shared by threads and event loops.
    """

    def __init__(
        self,
        initial: int = 10,
        min: int = 1,
        max: int = 100,
        *,
        window: float = 1.0,
        decrease: float = 0.5,
        decrease_on: Iterable[ErrorCategory] = _DEFAULT_DECREASE_ON,
        max_wait: float | None = None,
        name: str = "limiter",
    ) -> None:
        lowest = check_int("min", min, 1)
        highest = check_int("max", max, lowest)
        check_int("initial", initial, 1)
        if not lowest <= initial <= highest:
            raise ConfigurationError(
                "initial", f"must be within [min, max] = [{lowest}, {highest}], got {initial}"
            )
        window = check_seconds("window", window, above=0.0)
        decrease = check_number("decrease", decrease, above=0.0)
        if decrease >= 1:
            raise ConfigurationError("decrease", f"must be in (0, 1), got {decrease!r}")
        categories = check_members(
            "decrease_on", decrease_on, ErrorCategory, what="ErrorCategory members"
        )
        if max_wait is not None:
            max_wait = check_seconds("max_wait", max_wait)
        check_name("name", name)
        self.name = name
        self.min = lowest
        self.max = highest
        self.window: float = float(window)
        self.decrease: float = float(decrease)
        self.decrease_on = categories
        self.max_wait = max_wait
        self._limit = float(initial)
        self._lock = threading.Lock()
        self._last_decrease = -math.inf
        self._slots = Slots(initial)

    @property
    def limit(self) -> int:
        """The current concurrency limit."""
        return self._slots.limit

    @property
    def in_flight(self) -> int:
        """Calls running under the limiter right now."""
        return self._slots.in_use

    def _admit(self) -> Plan:
        limit = _waits.bound(self.max_wait)
        if not (yield Step(self._slots, "acquire", (limit.seconds,))):
            raise BulkheadFullError(self.name, self.limit, bounded_by=limit.describe())

    def _settle(self, exc: BaseException | None) -> Plan:
        self._slots.release()
        self._learn(exc)
        return
        yield  # a plan without steps: releasing and learning never block

    def _learn(self, exc: BaseException | None) -> None:
        if exc is None:
            self._adjust(None)
        elif is_failure(exc):
            category = classify_once(exc).category
            if category in self.decrease_on:
                self._adjust(category)

    def _adjust(self, category: ErrorCategory | None) -> None:
        with self._lock:
            old = self._limit
            if category is None:
                new = old + 1.0 / old if old < self.max else old
                new = new if new < self.max else float(self.max)
            else:
                now = _clock.monotonic()
                if now - self._last_decrease < self.window:
                    return
                self._last_decrease = now
                new = old * self.decrease
                new = new if new > self.min else float(self.min)
            self._limit = new
            before, after = int(old), int(new)
            if before != after:
                self._slots.set_limit(after)
        if before != after:
            _events.emit(
                "limiter_adjusted",
                level="debug" if category is None else "info",
                limiter=self.name,
                old_limit=before,
                new_limit=after,
                reason="success" if category is None else category.value,
            )
