"""Circuit-breaker failure windows: consecutive failures, count-based and time-based failure rate.

Windows live in one process and are only touched under the breaker's lock; nothing here is shared.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from resilience_kit.exceptions import ConfigurationError

__all__ = ["CountWindow", "TimeWindow"]

_TIME_BUCKETS = 20  # a time window is kept as this many buckets: 5% granularity, bounded memory


def check_int(field: str, value: object, minimum: int) -> int:
    """*value* as an int >= *minimum*, or a ConfigurationError naming *field*."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(field, f"must be an integer >= {minimum}, got {value!r}")
    return value


def check_float(field: str, value: object, *, minimum: float, inclusive: bool = True) -> float:
    """*value* as a finite float >= (or >) *minimum*, or a ConfigurationError naming *field*."""
    bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(field, f"must be a finite number {bound}, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < minimum or (not inclusive and number == minimum):
        raise ConfigurationError(field, f"must be a finite number {bound}, got {value!r}")
    return number


def check_rate(field: str, value: object) -> float:
    """*value* as a failure rate in (0, 1], or a ConfigurationError naming *field*."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigurationError(field, f"must be a rate in (0, 1], got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class CountWindow:
    """Trip when at least *failure_rate* of the last *size* calls failed.

    The rate is judged only once *minimum_calls* outcomes are in the window (default: *size*).
    """

    size: int
    failure_rate: float = 0.5
    minimum_calls: int | None = None

    def __post_init__(self) -> None:
        check_int("window.size", self.size, 1)
        check_rate("window.failure_rate", self.failure_rate)
        if self.minimum_calls is not None:
            check_int("window.minimum_calls", self.minimum_calls, 1)
            if self.minimum_calls > self.size:
                raise ConfigurationError(
                    "window.minimum_calls",
                    f"must be between 1 and size ({self.size}), got {self.minimum_calls}",
                )


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Trip when at least *failure_rate* of the calls that ended in the last *seconds* failed.

    The rate is judged only once *minimum_calls* outcomes are in the window.
    """

    seconds: float
    failure_rate: float = 0.5
    minimum_calls: int = 10

    def __post_init__(self) -> None:
        check_float("window.seconds", self.seconds, minimum=0.0, inclusive=False)
        check_rate("window.failure_rate", self.failure_rate)
        check_int("window.minimum_calls", self.minimum_calls, 1)


class Window(Protocol):
    """What the breaker needs from a window (always called under the breaker's lock)."""

    uses_clock: bool

    def record(self, failed: bool, now: float) -> bool:
        """Count one outcome; True when the circuit should open."""

    def success(self, now: float) -> None:
        """Count one success (the hot path; a success never opens the circuit)."""

    def clear(self) -> None:
        """Forget every outcome (the circuit closed or was reset)."""

    def counts(self, now: float) -> tuple[int, int]:
        """(calls, failures) currently in the window."""


class ConsecutiveCounter:
    """Trip after *threshold* failures in a row; a success starts the count again."""

    uses_clock = False

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.calls = 0
        self.failures = 0
        self.consecutive = 0

    def record(self, failed: bool, now: float) -> bool:
        self.calls += 1
        if failed:
            self.failures += 1
            self.consecutive += 1
            return self.consecutive >= self.threshold
        self.consecutive = 0
        return False

    def success(self, now: float) -> None:
        self.calls += 1
        self.consecutive = 0

    def clear(self) -> None:
        self.calls = 0
        self.failures = 0
        self.consecutive = 0

    def counts(self, now: float) -> tuple[int, int]:
        return self.calls, self.failures


class CountCounter:
    """The last *size* outcomes in a ring; failures counted incrementally."""

    uses_clock = False

    def __init__(self, config: CountWindow) -> None:
        self.rate = config.failure_rate
        self.minimum = config.size if config.minimum_calls is None else config.minimum_calls
        self.outcomes: deque[bool] = deque(maxlen=config.size)
        self.failures = 0

    def record(self, failed: bool, now: float) -> bool:
        outcomes = self.outcomes
        if len(outcomes) == outcomes.maxlen and outcomes[0]:
            self.failures -= 1
        outcomes.append(failed)
        if failed:
            self.failures += 1
            calls = len(outcomes)
            return calls >= self.minimum and self.failures >= self.rate * calls
        return False

    def success(self, now: float) -> None:
        outcomes = self.outcomes
        if len(outcomes) == outcomes.maxlen and outcomes[0]:
            self.failures -= 1
        outcomes.append(False)

    def clear(self) -> None:
        self.outcomes.clear()
        self.failures = 0

    def counts(self, now: float) -> tuple[int, int]:
        return len(self.outcomes), self.failures


class TimeCounter:
    """Outcomes of the last *seconds*, in fixed buckets so memory stays bounded at any call rate."""

    uses_clock = True

    def __init__(self, config: TimeWindow) -> None:
        self.rate = config.failure_rate
        self.minimum = config.minimum_calls
        self.seconds = config.seconds
        self.width = config.seconds / _TIME_BUCKETS
        self.buckets: deque[list[float]] = deque()  # [bucket start, calls, failures]
        self.calls = 0
        self.failures = 0

    def _trim(self, now: float) -> None:
        horizon = now - self.seconds
        buckets = self.buckets
        while buckets and buckets[0][0] + self.width <= horizon:
            _, calls, failures = buckets.popleft()
            self.calls -= int(calls)
            self.failures -= int(failures)

    def record(self, failed: bool, now: float) -> bool:
        self._trim(now)
        buckets = self.buckets
        if not buckets or now >= buckets[-1][0] + self.width:
            buckets.append([now, 0, 0])
        bucket = buckets[-1]
        bucket[1] += 1
        self.calls += 1
        if failed:
            bucket[2] += 1
            self.failures += 1
            return self.calls >= self.minimum and self.failures >= self.rate * self.calls
        return False

    def success(self, now: float) -> None:
        self.record(False, now)  # noqa: FBT003 - the shared bucket logic

    def clear(self) -> None:
        self.buckets.clear()
        self.calls = 0
        self.failures = 0

    def counts(self, now: float) -> tuple[int, int]:
        self._trim(now)
        return self.calls, self.failures


def make_window(config: CountWindow | TimeWindow | None, failure_threshold: int) -> Window:
    """The window implementation for *config* (None: consecutive failures)."""
    if config is None:
        return ConsecutiveCounter(failure_threshold)
    if isinstance(config, CountWindow):
        return CountCounter(config)
    if isinstance(config, TimeWindow):
        return TimeCounter(config)
    raise ConfigurationError(
        "window", f"must be None, CountWindow or TimeWindow, got {type(config).__name__}"
    )
