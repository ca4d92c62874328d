"""``CircuitBreaker``: stop calling a backend that is down; probe carefully when it may be back."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Collection, Iterable
from types import TracebackType
from typing import Any, ParamSpec, TypedDict, TypeVar

from typing_extensions import Unpack

from resilience_kit import _clock, _state
from resilience_kit._breaker._core import BreakerCore
from resilience_kit._breaker._types import CLOSED, OPEN, BreakerSnapshot, CircuitState, Listener
from resilience_kit._breaker._window import CountWindow, TimeWindow, make_window
from resilience_kit._breaker._wrap import wrap
from resilience_kit._categories import ErrorCategory
from resilience_kit._checks import (
    check_callable,
    check_callables,
    check_float,
    check_int,
    check_name,
)
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.storage._base import BreakerStore, Storage

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

DEFAULT_FAILURE_CATEGORIES: frozenset[ErrorCategory] = frozenset(
    {
        ErrorCategory.SERVER,
        ErrorCategory.OVERLOADED,
        ErrorCategory.TIMEOUT,
        ErrorCategory.CONNECTION,
        ErrorCategory.QUOTA,
    }
)


def _monotonic() -> float:
    return _clock.monotonic()  # looked up at call time: freezegun and testing.no_wait work


class CircuitBreaker(BreakerCore):
    """A circuit breaker for sync, async, generator and async-generator functions.

    Use it as ``@breaker``, ``with breaker:`` or ``async with breaker:``. Outcomes are three-way:
    a *failure* (an exception whose category is in *failure_categories*, or for which *is_failure*
    says so; a result for which *is_failure_result* says so; a success slower than
    *slow_call_threshold*), *ignored* (any other exception, cancellation included), or a *success*.

    CLOSED counts failures in its *window* (default: *failure_threshold* in a row) and opens when
    it trips. OPEN rejects every call with ``CircuitOpenError`` for *recovery_timeout* seconds
    (times *recovery_backoff* per further consecutive trip, capped at *max_recovery_timeout*,
    shortened by up to *recovery_jitter* as a fraction), then shows HALF_OPEN: at most
    *half_open_max_calls* probes run at once, *success_threshold* probe successes close it, one
    probe failure opens it again.

    *storage* shares transitions and probe permits between processes. Failure windows stay local;
    the shared record is re-read at most every *sync_interval* seconds (the staleness bound). A
    probe permit lapses after *probe_lease* seconds so a crashed prober cannot wedge the circuit.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        half_open_max_calls: int = 1,
        success_threshold: int = 1,
        window: CountWindow | TimeWindow | None = None,
        slow_call_threshold: float | None = None,
        failure_categories: Collection[ErrorCategory] = DEFAULT_FAILURE_CATEGORIES,
        is_failure: Callable[[BaseException], bool] | None = None,
        is_failure_result: Callable[[Any], bool] | None = None,
        recovery_backoff: float = 1.0,
        max_recovery_timeout: float | None = None,
        recovery_jitter: float = 0.0,
        listeners: Iterable[Listener] = (),
        storage: Storage | None = None,
        sync_interval: float = 1.0,
        probe_lease: float = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.name: str = check_name("name", name)
        threshold = check_int("failure_threshold", failure_threshold, 1)
        self._recovery_timeout = check_float("recovery_timeout", recovery_timeout, minimum=0.0)
        limit = check_int("half_open_max_calls", half_open_max_calls, 1)
        self._half_open_max_calls = limit
        self._success_threshold = check_int("success_threshold", success_threshold, 1)
        self._window = make_window(window, threshold)
        self._slow = (
            None
            if slow_call_threshold is None
            else check_float(
                "slow_call_threshold", slow_call_threshold, minimum=0.0, inclusive=False
            )
        )
        self._failure_categories = _categories(failure_categories)
        self._is_failure = _callable_or_none("is_failure", is_failure)
        self._is_failure_result = _callable_or_none("is_failure_result", is_failure_result)
        self._recovery_backoff = check_float("recovery_backoff", recovery_backoff, minimum=1.0)
        if max_recovery_timeout is None:
            self._max_recovery_timeout = 10 * self._recovery_timeout
        else:
            self._max_recovery_timeout = check_float(
                "max_recovery_timeout", max_recovery_timeout, minimum=self._recovery_timeout
            )
        jitter = check_float("recovery_jitter", recovery_jitter, minimum=0.0)
        if jitter >= 1.0:
            raise ConfigurationError("recovery_jitter", f"must be in [0, 1), got {jitter!r}")
        self._recovery_jitter = jitter
        self._listeners = check_callables("listeners", listeners)
        if storage is not None and not isinstance(storage, BreakerStore):
            raise ConfigurationError("storage", f"must be a BreakerStore or None, got {storage!r}")
        self._sync_interval = check_float("sync_interval", sync_interval, minimum=0.0)
        lease = check_float("probe_lease", probe_lease, minimum=0.0, inclusive=False)
        self._probe_args = (limit, lease)
        self._now = _monotonic if clock is None else check_callable("clock", clock)
        self._shared = storage is not None
        self._storage = storage
        self._config: dict[str, object] = {
            "failure_threshold": threshold,
            "recovery_timeout": self._recovery_timeout,
            "half_open_max_calls": limit,
            "success_threshold": self._success_threshold,
            "window": window,
            "slow_call_threshold": self._slow,
            "failure_categories": self._failure_categories,
            "is_failure": is_failure,
            "is_failure_result": is_failure_result,
            "recovery_backoff": self._recovery_backoff,
            "max_recovery_timeout": self._max_recovery_timeout,
            "recovery_jitter": jitter,
            "listeners": tuple(self._listeners),
            "storage": storage,
            "sync_interval": self._sync_interval,
            "probe_lease": lease,
            "clock": clock,
        }
        # (permit, started, outer entry) for each `with` this context is inside, innermost first
        self._stack: contextvars.ContextVar[tuple[Any, float, Any] | None]
        self._stack = contextvars.ContextVar(f"resilience_kit_breaker_{name}", default=None)
        self._init_state()

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name!r} {self.state.value}>"

    # -- decorator and context managers ----------------------------------------------------
    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Guard *fn* (sync, async, generator or async generator); its signature is kept."""
        return wrap(self, fn)

    def __enter__(self) -> CircuitBreaker:
        permit = self._acquire()
        started = self._now() if self._slow is not None else 0.0
        self._stack.set((permit, started, self._stack.get()))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        permit, failed = self._pop(exc)
        plan = self._succeed(permit) if failed is False else self._settle(permit, failed)
        if plan is not None:
            self._run(plan)
        if exc is not None:
            self._note_rejection(exc)

    async def __aenter__(self) -> CircuitBreaker:
        permit = await self._aacquire()
        started = self._now() if self._slow is not None else 0.0
        self._stack.set((permit, started, self._stack.get()))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        permit, failed = self._pop(exc)
        plan = self._succeed(permit) if failed is False else self._settle(permit, failed)
        if plan is not None:
            await self._arun(plan)
        if exc is not None:
            self._note_rejection(exc)

    def _pop(self, exc: BaseException | None) -> tuple[Any, bool | None]:
        entry = self._stack.get()
        if entry is None:
            raise RuntimeError(f"circuit breaker {self.name!r} exited without entering")
        permit, started, outer = entry
        self._stack.set(outer)
        if exc is not None:
            return permit, self._judge(exc)
        slow = self._slow
        return permit, slow is not None and self._now() - started > slow

    # -- inspection and control ------------------------------------------------------------
    @property
    def state(self) -> CircuitState:
        """The state now: an open circuit whose open time is over reads HALF_OPEN."""
        now = self._now()
        if self._shared:
            self._run(self._sync_plan(now))
        with self._lock:
            return self._visible(now)

    def snapshot(self) -> BreakerSnapshot:
        """State, counts, failure rate, opened_at and retry_after, read under one lock."""
        now = self._now()
        if self._shared:
            self._run(self._sync_plan(now))
        with self._lock:
            calls, failures = self._window.counts(now)
            state = self._visible(now)
            if self._forced:
                retry_after = self._recovery_timeout
            else:
                retry_after = self._retry_after(now) if state is OPEN else 0.0
            return BreakerSnapshot(
                name=self.name,
                state=state,
                generation=self._generation,
                calls=calls,
                failures=failures,
                failure_rate=failures / calls if calls else None,
                consecutive_failures=self._consecutive,
                opened_at=self._opened_at,
                retry_after=retry_after,
                trips=self._trips,
                probes_in_flight=self._probes,
                rejected=self._rejected,
                disabled=self._disabled,
                forced_open=self._forced,
            )

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(name, old_state, new_state)`` after every transition (errors logged)."""
        self._listeners.append(check_callable("listener", listener))

    def reset(self) -> None:
        """Close the circuit (everywhere the storage reaches), clear counts, undo force/disable."""
        for attempt in range(3):  # someone else moved meanwhile: closing is what was asked
            now = self._now()
            with self._lock:
                if attempt and self._state is CLOSED:
                    return
                before = self._visible(now)
                old = self._state
                self._forced = False
                self._disabled = False
                op = self._move(CLOSED, now, "reset")
                if old is CLOSED and before is not CLOSED:  # forced open: closed underneath
                    self._pending.append((before, CLOSED, "reset"))
            if op is None:
                self._deliver()
                return
            self._run(self._publish_plan(op, now, "reset"))

    def force_open(self) -> None:
        """Reject every call in this process until `reset()`."""
        self._set_override(forced=True)

    def disable(self) -> None:
        """Let every call through and record nothing in this process until `reset()`."""
        self._set_override(disabled=True)

    def _set_override(self, *, forced: bool = False, disabled: bool = False) -> None:
        now = self._now()
        with self._lock:
            before = self._visible(now)
            self._forced = self._forced or forced
            self._disabled = self._disabled or disabled
            self._refresh_fast()
            after = self._visible(now)
            if before is not after:
                self._pending.append((before, after, "forced_open" if forced else "disabled"))
        self._deliver()


def _categories(value: object) -> frozenset[ErrorCategory]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ConfigurationError(
            "failure_categories", f"must be a collection of ErrorCategory, got {value!r}"
        )
    items = frozenset(value)
    bad = [item for item in items if not isinstance(item, ErrorCategory)]
    if bad:
        raise ConfigurationError(
            "failure_categories", f"must contain only ErrorCategory members, got {bad[0]!r}"
        )
    return items


def _callable_or_none(field: str, value: T | None) -> T | None:
    return None if value is None else check_callable(field, value)


class BreakerOptions(TypedDict, total=False):
    """The keyword options of `CircuitBreaker` (for `circuit_breaker()`)."""

    failure_threshold: int
    recovery_timeout: float
    half_open_max_calls: int
    success_threshold: int
    window: CountWindow | TimeWindow | None
    slow_call_threshold: float | None
    failure_categories: Collection[ErrorCategory]
    is_failure: Callable[[BaseException], bool] | None
    is_failure_result: Callable[[Any], bool] | None
    recovery_backoff: float
    max_recovery_timeout: float | None
    recovery_jitter: float
    listeners: Iterable[Listener]
    storage: Storage | None
    sync_interval: float
    probe_lease: float
    clock: Callable[[], float] | None


_registry: dict[str, CircuitBreaker] = {}
_registry_lock = threading.Lock()


@_state.register
def _checkpoint() -> Callable[[], None]:
    """After a test: breakers it named are forgotten, the others closed if it moved them."""
    with _registry_lock:
        before = {name: (b, b._generation) for name, b in _registry.items()}

    def restore() -> None:
        with _registry_lock:
            _registry.clear()
            _registry.update({name: b for name, (b, _) in before.items()})
        for breaker, generation in before.values():
            if breaker._generation != generation or breaker._touched():
                breaker.reset()

    return restore


def circuit_breaker(name: str, **options: Unpack[BreakerOptions]) -> CircuitBreaker:
    """The process-wide breaker called *name*, created with *options* on first use.

    Asking again with the same options returns the same breaker; different options for an
    existing name raise ``ConfigurationError`` (two parts of a program silently disagreeing about
    one backend is a bug).
    """
    candidate = CircuitBreaker(name, **options)
    with _registry_lock:
        existing = _registry.setdefault(name, candidate)
    if existing is not candidate and existing._config != candidate._config:
        changed = sorted(k for k, v in candidate._config.items() if existing._config[k] != v)
        raise ConfigurationError(
            "name",
            f"circuit breaker {name!r} already exists with a different configuration "
            f"(differs in: {', '.join(changed)})",
        )
    return existing
