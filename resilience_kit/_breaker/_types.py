"""Circuit-breaker value types, and the drivers that answer a plan's storage requests.

A *plan* is a generator that yields `Op` requests and receives the storage's answers;
`drive()` answers with the sync ``BreakerStore`` methods, `adrive()` with the async ``a*``
methods, so the sync and async paths share one state machine.
"""

from __future__ import annotations

import asyncio
import enum
import functools
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from resilience_kit.storage._base import BreakerStateName, BreakerStore


class CircuitState(str, enum.Enum):
    """The state of a circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"

    def __str__(self) -> str:
        return self.value


CLOSED: Final = CircuitState.CLOSED
OPEN: Final = CircuitState.OPEN
HALF_OPEN: Final = CircuitState.HALF_OPEN
FROM_NAME: Final[dict[str, CircuitState]] = {state.value: state for state in CircuitState}
TO_NAME: Final[dict[CircuitState, BreakerStateName]] = {
    CLOSED: "closed",
    OPEN: "open",
    HALF_OPEN: "half_open",
}

Listener: TypeAlias = Callable[[str, CircuitState, CircuitState], None]
"""Called as ``listener(breaker_name, old_state, new_state)`` after each transition."""


@dataclass(frozen=True, slots=True, eq=False)
class Closed:
    """The permit of a call admitted by a closed circuit. One object per closed spell, shared
    by every call of it: its outcome counts while that object is still the breaker's."""

    generation: int


@dataclass(frozen=True, slots=True, eq=False)
class Probe:
    """The permit of a half-open call: its generation, storage lease and close-to-close epoch."""

    generation: int
    token: str
    epoch: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class Bypass:
    """The permit of a call admitted by a disabled breaker: its outcome is not recorded."""


BYPASS: Final = Bypass()

Permit: TypeAlias = "Closed | Probe | Bypass"
"""What an admission hands the call, given back with its outcome."""


@dataclass(frozen=True, slots=True)
class Op:
    """One storage request made by a plan."""

    kind: str  # "load" | "publish" | "acquire" | "release"
    generation: int = 0
    state: BreakerStateName = "closed"
    open_seconds: float = 0.0
    trips: int = 0
    token: str = ""


Plan: TypeAlias = Generator[Op, Any, Any]


_BACKGROUND: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any]) -> None:
    """Run *coro* to its end in the background (a strong reference keeps the task alive)."""
    task = asyncio.ensure_future(coro)
    _BACKGROUND.add(task)
    task.add_done_callback(_forget)


def _forget(task: asyncio.Task[Any]) -> None:
    _BACKGROUND.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a background plan's rejection is nobody's error


def drive(
    storage: BreakerStore | None, name: str, probe_args: tuple[int, float], plan: Plan
) -> Any:
    """Run *plan* against the sync storage methods; returns the plan's result."""
    try:
        op = next(plan)
        if storage is None:
            raise RuntimeError(f"the plan of private breaker {name!r} asked for storage")
        limit, lease = probe_args
        while True:
            kind = op.kind
            result: Any = None
            if kind == "load":
                result = storage.breaker_load(name)
            elif kind == "publish":
                result = storage.breaker_publish(
                    name,
                    expected_generation=op.generation,
                    state=op.state,
                    open_seconds=op.open_seconds,
                    trips=op.trips,
                )
            elif kind == "acquire":
                result = storage.probe_acquire(
                    name, generation=op.generation, limit=limit, lease_seconds=lease
                )
            else:
                storage.probe_release(name, op.token)
            op = plan.send(result)
    except StopIteration as stop:
        return stop.value


async def adrive(
    storage: BreakerStore | None,
    name: str,
    probe_args: tuple[int, float],
    plan: Plan,
    orphaned: Callable[[Any], None],
) -> Any:
    """Run *plan* against the async storage methods; returns the plan's result.

    A plan that needs storage runs in a task of its own, shielded: when the caller is cancelled
    (``asyncio.wait_for``, a task group), the plan still ends in the background, so a transition
    is adopted and a probe lease given back; its result then goes to *orphaned*.
    """
    try:
        op = next(plan)
    except StopIteration as stop:
        return stop.value
    if storage is None:
        raise RuntimeError(f"the plan of private breaker {name!r} asked for storage")
    task = asyncio.ensure_future(_answer(storage, name, probe_args, plan, op))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        _BACKGROUND.add(task)
        task.add_done_callback(functools.partial(_adopt_orphan, orphaned))
        raise


def _adopt_orphan(orphaned: Callable[[Any], None], task: asyncio.Task[Any]) -> None:
    _forget(task)
    if not task.cancelled() and task.exception() is None:
        orphaned(task.result())


async def _answer(
    storage: BreakerStore, name: str, probe_args: tuple[int, float], plan: Plan, op: Op
) -> Any:
    limit, lease = probe_args
    try:
        while True:
            kind = op.kind
            result: Any = None
            if kind == "load":
                result = await storage.abreaker_load(name)
            elif kind == "publish":
                result = await storage.abreaker_publish(
                    name,
                    expected_generation=op.generation,
                    state=op.state,
                    open_seconds=op.open_seconds,
                    trips=op.trips,
                )
            elif kind == "acquire":
                result = await storage.aprobe_acquire(
                    name, generation=op.generation, limit=limit, lease_seconds=lease
                )
            else:
                await storage.aprobe_release(name, op.token)
            op = plan.send(result)
    except StopIteration as stop:
        return stop.value
