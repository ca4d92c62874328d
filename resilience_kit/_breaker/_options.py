"""The options of a circuit breaker: one frozen, validated object.

`BreakerOptions` is written once: the ``CircuitBreaker`` signature takes its defaults from
`DEFAULTS`, the constructor validates through it, ``circuit_breaker(name, ...)`` compares two of
them to refuse a second configuration for one name, and ``snapshot().options`` shows the one in
use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from resilience_kit._breaker._types import CircuitState, Listener
from resilience_kit._breaker._window import CountWindow, TimeWindow
from resilience_kit._categories import ErrorCategory
from resilience_kit._checks import (
    check_callable,
    check_callables,
    check_float,
    check_int,
    check_seconds,
)
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.storage._base import BreakerStore

DEFAULT_FAILURE_CATEGORIES: frozenset[ErrorCategory] = frozenset(
    {
        ErrorCategory.SERVER,
        ErrorCategory.OVERLOADED,
        ErrorCategory.TIMEOUT,
        ErrorCategory.CONNECTION,
        ErrorCategory.QUOTA,
    }
)


@dataclass(frozen=True)
class BreakerOptions:
    """The validated options of a [`CircuitBreaker`][resilience_kit.CircuitBreaker] (see it for
    their meaning). Two breakers agree when their options are equal (callables, storages and
    clocks compare by identity). ``max_recovery_timeout`` holds the resolved cap (default: ten
    times ``recovery_timeout``); ``failure_categories`` a frozenset, ``listeners`` the tuple given
    at construction."""

    failure_threshold: int = 5
    recovery_timeout: float = 30.0
    half_open_max_calls: int = 1
    success_threshold: int = 1
    window: CountWindow | TimeWindow | None = None
    slow_call_threshold: float | None = None
    failure_categories: Collection[ErrorCategory] = DEFAULT_FAILURE_CATEGORIES
    is_failure: Callable[[BaseException], bool] | None = None
    is_failure_result: Callable[[Any], bool] | None = None
    recovery_backoff: float = 1.0
    max_recovery_timeout: float | None = None
    recovery_jitter: float = 0.0
    listeners: Iterable[Listener] = ()
    storage: BreakerStore | None = None
    sync_interval: float = 1.0
    probe_lease: float = 60.0
    clock: Callable[[], float] | None = None

    def __post_init__(self) -> None:
        put = self._put
        put("failure_threshold", check_int("failure_threshold", self.failure_threshold, 1))
        recovery = check_seconds("recovery_timeout", self.recovery_timeout)
        put("recovery_timeout", recovery)
        put("half_open_max_calls", check_int("half_open_max_calls", self.half_open_max_calls, 1))
        put("success_threshold", check_int("success_threshold", self.success_threshold, 1))
        if self.window is not None and not isinstance(self.window, CountWindow | TimeWindow):
            raise ConfigurationError(
                "window",
                f"must be None, CountWindow or TimeWindow, got {type(self.window).__name__}",
            )
        if self.slow_call_threshold is not None:
            slow = check_seconds("slow_call_threshold", self.slow_call_threshold, above=0.0)
            put("slow_call_threshold", slow)
        put("failure_categories", as_categories(self.failure_categories))
        for field in ("is_failure", "is_failure_result", "clock"):
            if getattr(self, field) is not None:
                check_callable(field, getattr(self, field))
        put("recovery_backoff", check_float("recovery_backoff", self.recovery_backoff, minimum=1.0))
        cap = self.max_recovery_timeout
        put(
            "max_recovery_timeout",
            10 * recovery
            if cap is None
            else check_float(
                "max_recovery_timeout",
                check_seconds("max_recovery_timeout", cap),
                minimum=recovery,
            ),
        )
        jitter = check_float("recovery_jitter", self.recovery_jitter, minimum=0.0)
        if jitter >= 1.0:
            raise ConfigurationError("recovery_jitter", f"must be in [0, 1), got {jitter!r}")
        put("recovery_jitter", jitter)
        put("listeners", tuple(check_callables("listeners", self.listeners)))
        if self.storage is not None and not isinstance(self.storage, BreakerStore):
            raise ConfigurationError(
                "storage", f"must be a BreakerStore or None, got {type(self.storage).__name__}"
            )
        put("sync_interval", check_seconds("sync_interval", self.sync_interval))
        lease = check_seconds("probe_lease", self.probe_lease, above=0.0)
        put("probe_lease", lease)

    def _put(self, field: str, value: object) -> None:
        object.__setattr__(self, field, value)  # normalising a frozen object once, at creation

    @property
    def open_cap(self) -> float:
        """The resolved ``max_recovery_timeout``."""
        cap = self.max_recovery_timeout
        return self.recovery_timeout * 10 if cap is None else cap

    def differences(self, other: BreakerOptions) -> list[str]:
        """The names of the options in which *other* differs from these, sorted."""
        return sorted(
            field.name
            for field in dataclasses.fields(self)
            if getattr(self, field.name) != getattr(other, field.name)
        )


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """A consistent view of one breaker at one moment (times are monotonic seconds)."""

    name: str
    state: CircuitState
    generation: int
    calls: int
    failures: int
    failure_rate: float | None
    consecutive_failures: int
    opened_at: float | None
    retry_after: float
    trips: int
    probes_in_flight: int
    rejected: int
    disabled: bool
    forced_open: bool
    options: BreakerOptions
    """The breaker's validated options."""


def as_categories(value: object) -> frozenset[ErrorCategory]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ConfigurationError(
            "failure_categories", f"must be a collection of ErrorCategory, got {value!r}"
        )
    by_value = {category.value: category for category in ErrorCategory}
    items: set[ErrorCategory] = set()
    for item in value:  # a member, or its value ("server"), as retry_on takes them
        found = item if isinstance(item, ErrorCategory) else by_value.get(item)
        if found is None:
            raise ConfigurationError(
                "failure_categories",
                f"must contain only ErrorCategory members ({', '.join(by_value)}), got {item!r}",
            )
        items.add(found)
    return frozenset(items)


DEFAULTS = BreakerOptions()
"""The default options: the ``CircuitBreaker`` signature's defaults are read from here."""
