"""``CircuitBreaker``: stop calling a backend that is down; probe carefully when it may be back."""

from __future__ import annotations

import threading
from asyncio import current_task, events
from collections.abc import Callable, Collection, Iterable
from types import TracebackType
from typing import Any, ParamSpec, TypedDict, TypeVar

from typing_extensions import Unpack

from resilience_kit import _state
from resilience_kit._breaker._core import BreakerCore
from resilience_kit._breaker._options import (
    DEFAULT_FAILURE_CATEGORIES,
    DEFAULTS,
    BreakerOptions,
    BreakerSnapshot,
    as_categories,
)
from resilience_kit._breaker._types import CircuitState, Listener, Permit
from resilience_kit._breaker._window import CountWindow, TimeWindow
from resilience_kit._breaker._wrap import wrap
from resilience_kit._categories import ErrorCategory
from resilience_kit._checks import check_callable, check_name
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.storage._base import BreakerStore

__all__ = ["DEFAULT_FAILURE_CATEGORIES", "CircuitBreaker", "circuit_breaker"]

P = ParamSpec("P")
R = TypeVar("R")
_D = DEFAULTS
_running_loop = events._get_running_loop


class CircuitBreaker:
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
    The options are validated into one [`BreakerOptions`][resilience_kit.BreakerOptions]
    (`options`).
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = _D.failure_threshold,
        recovery_timeout: float = _D.recovery_timeout,
        half_open_max_calls: int = _D.half_open_max_calls,
        success_threshold: int = _D.success_threshold,
        window: CountWindow | TimeWindow | None = _D.window,
        slow_call_threshold: float | None = _D.slow_call_threshold,
        failure_categories: Collection[ErrorCategory | str] = DEFAULT_FAILURE_CATEGORIES,
        is_failure: Callable[[BaseException], bool] | None = _D.is_failure,
        is_failure_result: Callable[[Any], bool] | None = _D.is_failure_result,
        recovery_backoff: float = _D.recovery_backoff,
        max_recovery_timeout: float | None = None,
        recovery_jitter: float = _D.recovery_jitter,
        listeners: Iterable[Listener] = (),
        storage: BreakerStore | None = _D.storage,
        sync_interval: float = _D.sync_interval,
        probe_lease: float = _D.probe_lease,
        clock: Callable[[], float] | None = _D.clock,
    ) -> None:
        self.name: str = check_name("name", name)
        self.options: BreakerOptions = BreakerOptions(
            failure_threshold=failure_threshold,
            recovery_timeout=recovery_timeout,
            half_open_max_calls=half_open_max_calls,
            success_threshold=success_threshold,
            window=window,
            slow_call_threshold=slow_call_threshold,
            failure_categories=as_categories(failure_categories),
            is_failure=is_failure,
            is_failure_result=is_failure_result,
            recovery_backoff=recovery_backoff,
            max_recovery_timeout=max_recovery_timeout,
            recovery_jitter=recovery_jitter,
            listeners=listeners,
            storage=storage,
            sync_interval=sync_interval,
            probe_lease=probe_lease,
            clock=clock,
        )
        """The validated options (equal options: the same configuration)."""
        self._core = BreakerCore(self.name, self.options)
        # The permits of `with` blocks being run, per thread or task: (permit, started, outer).
        # A key goes with its last block, so nothing stays behind in any context.
        self._held: dict[object, tuple[Permit, float, Any]] = {}

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name!r} {self.state.value}>"

    # -- decorator and context managers ----------------------------------------------------
    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Guard *fn* (sync, async, generator or async generator); its signature is kept."""
        return wrap(self._core, fn, self)

    def __enter__(self) -> CircuitBreaker:
        core = self._core
        permit = core.admit()
        key = _holder()
        self._held[key] = (permit, core.started(), self._held.get(key))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        core = self._core
        permit, started = self._pop(_holder())
        plan = core.ended(permit, started) if exc is None else core.raised(permit, exc)
        if plan is not None:
            core.run(plan)
        if exc is not None:
            core.announce(exc)

    async def __aenter__(self) -> CircuitBreaker:
        core = self._core
        permit = await core.aadmit()
        key = _holder()
        self._held[key] = (permit, core.started(), self._held.get(key))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        core = self._core
        permit, started = self._pop(_holder())
        plan = core.ended(permit, started) if exc is None else core.raised(permit, exc)
        if plan is not None:
            await core.arun(plan)
        if exc is not None:
            core.announce(exc)

    def _pop(self, key: object) -> tuple[Permit, float]:
        entry = self._held.pop(key, None)
        if entry is None:
            raise RuntimeError(f"circuit breaker {self.name!r} exited without entering")
        permit, started, outer = entry
        if outer is not None:
            self._held[key] = outer
        return permit, started

    # -- inspection and control ------------------------------------------------------------
    @property
    def state(self) -> CircuitState:
        """The state now: an open circuit whose open time is over reads HALF_OPEN (and its
        listeners hear ``open -> half_open`` then)."""
        core = self._core
        if core.shared:
            core.run(core.sync_plan(heal=False))
        return core.visible()

    def snapshot(self) -> BreakerSnapshot:
        """State, counts, failure rate, opened_at, retry_after and options, under one lock."""
        core = self._core
        if core.shared:
            core.run(core.sync_plan(heal=False))
        return core.snapshot()

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(name, old_state, new_state)`` after every transition (errors logged)."""
        self._core.listeners.append(check_callable("listener", listener))

    def reset(self) -> None:
        """Close the circuit (everywhere the storage reaches), clear counts, undo force/disable."""
        self._core.reset()

    def force_open(self) -> None:
        """Reject every call in this process until `reset()`."""
        self._core.override(forced=True)

    def disable(self) -> None:
        """Let every call through and record nothing in this process until `reset()`."""
        self._core.override(disabled=True)


def _holder() -> object:
    """Who runs a `with` block: the asyncio task, else the thread."""
    loop = _running_loop()
    task = None if loop is None else current_task(loop)
    return threading.get_ident() if task is None else task


class BreakerKwargs(TypedDict, total=False):
    """The keyword options of `CircuitBreaker` (for `circuit_breaker()`)."""

    failure_threshold: int
    recovery_timeout: float
    half_open_max_calls: int
    success_threshold: int
    window: CountWindow | TimeWindow | None
    slow_call_threshold: float | None
    failure_categories: Collection[ErrorCategory | str]
    is_failure: Callable[[BaseException], bool] | None
    is_failure_result: Callable[[Any], bool] | None
    recovery_backoff: float
    max_recovery_timeout: float | None
    recovery_jitter: float
    listeners: Iterable[Listener]
    storage: BreakerStore | None
    sync_interval: float
    probe_lease: float
    clock: Callable[[], float] | None


_registry: dict[str, CircuitBreaker] = {}
_registry_lock = threading.Lock()


@_state.register
def _checkpoint() -> Callable[[], None]:
    """After a test: breakers it named are forgotten, the others closed if it moved them."""
    with _registry_lock:
        before = {name: (b, b._core.generation) for name, b in _registry.items()}

    def restore() -> None:
        with _registry_lock:
            _registry.clear()
            _registry.update({name: b for name, (b, _) in before.items()})
        for breaker, generation in before.values():
            if breaker._core.generation != generation or breaker._core.touched():
                breaker.reset()

    return restore


def circuit_breaker(name: str, **options: Unpack[BreakerKwargs]) -> CircuitBreaker:
    """The process-wide breaker called *name*, created with *options* on first use.

    Asking again with the same options returns the same breaker; different options for an
    existing name raise ``ConfigurationError`` (two parts of a program silently disagreeing about
    one backend is a bug).
    """
    candidate = CircuitBreaker(name, **options)
    with _registry_lock:
        existing = _registry.setdefault(name, candidate)
    if existing is not candidate and existing.options != candidate.options:
        changed = existing.options.differences(candidate.options)
        raise ConfigurationError(
            "name",
            f"circuit breaker {name!r} already exists with a different configuration "
            f"(differs in: {', '.join(changed)})",
        )
    return existing
