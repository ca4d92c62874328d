"""One shape for the throughput tools: code that runs around a call.

A `Guard` is a decorator (sync, async, generator and async-generator functions), a ``with``
block and an ``async with`` block at once. Subclasses implement ``_enter``/``_exit`` and their
async twins; ``_exit`` receives the exception that ended the call (``None`` on success).

A `Planned` guard writes its decisions once, as *plans* (the breaker's sans-IO shape): a
generator that yields a `Step` wherever it must block (a storage round trip, a sleep, a queue)
and receives the step's result. `drive()` runs a plan's steps with the sync methods, `adrive()`
with their async twins (``a`` + the method's name), so async callers always take the async path
(an asyncio storage client, ``asyncio.sleep``, a future) and the decision logic exists once.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeAlias, TypeVar, cast

from typing_extensions import ParamSpec, Self

from resilience_kit import _clock
from resilience_kit._callables import callable_kind, through_descriptor
from resilience_kit._streams import first_async_item, relay_async

P = ParamSpec("P")
R = TypeVar("R")


class Guard(abc.ABC):
    """Runs before and after a call; usable as ``@guard``, ``with guard:`` and ``async with``."""

    @abc.abstractmethod
    def _enter(self) -> None:
        """Block (or raise) until the call may start."""

    @abc.abstractmethod
    def _exit(self, exc: BaseException | None) -> None:
        """Account for a finished call; *exc* is what ended it (``None``: success)."""

    @abc.abstractmethod
    async def _aenter(self) -> None:
        """Like `_enter()` without blocking the event loop."""

    @abc.abstractmethod
    async def _aexit(self, exc: BaseException | None) -> None:
        """Like `_exit()` for async callers."""

    def __enter__(self) -> Self:
        self._enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit(exc)

    async def __aenter__(self) -> Self:
        await self._aenter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._aexit(exc)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorate *fn*; its signature is kept for type checkers."""
        return guard_function(self, fn)


@dataclass(frozen=True, slots=True)
class Step:
    """One blocking step of a plan: ``target.<method>(*args)`` for a sync caller, ``await
    target.a<method>(*args)`` for an async one."""

    target: Any
    method: str
    args: tuple[Any, ...] = ()


Plan: TypeAlias = Generator[Step, Any, Any]
"""A tool's decision, written once: yields `Step` s, receives their results, returns its own."""


class _Clock:
    """The kit's sleeps as a step target: ``sleep`` and ``asleep``."""

    sleep = staticmethod(_clock.sleep)
    asleep = staticmethod(_clock.async_sleep)


CLOCK = _Clock()


def sleep(seconds: float) -> Step:
    """The step "wait *seconds*" (the kit's clock: ``no_wait()`` makes it instant)."""
    return Step(CLOCK, "sleep", (seconds,))


def drive(plan: Plan) -> Any:
    """Run *plan* with the sync methods of its steps' targets; return the plan's result."""
    try:
        step = next(plan)
        while True:
            step = plan.send(getattr(step.target, step.method)(*step.args))
    except StopIteration as stop:
        return stop.value


async def adrive(plan: Plan) -> Any:
    """Run *plan* with the async methods (``a`` + name) of its steps' targets, never blocking
    the event loop; return the plan's result."""
    try:
        step = next(plan)
    except StopIteration as stop:
        return stop.value
    return await _arun(plan, step)


async def _arun(plan: Plan, step: Step) -> Any:
    try:
        while True:
            step = plan.send(await getattr(step.target, "a" + step.method)(*step.args))
    except StopIteration as stop:
        return stop.value


_SETTLING: set[asyncio.Task[Any]] = set()


async def asettle(plan: Plan) -> None:
    """Like `adrive` for what must happen even when the caller is cancelled meanwhile (a block
    a 429 earned): the plan's steps run shielded in a task of their own, to their end."""
    try:
        step = next(plan)
    except StopIteration:
        return
    task = asyncio.ensure_future(_arun(plan, step))
    _SETTLING.add(task)  # a strong reference until it is done; then nothing is kept
    task.add_done_callback(_settled)
    await asyncio.shield(task)


def _settled(task: asyncio.Task[Any]) -> None:
    _SETTLING.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a settlement whose caller left is nobody's error


class Planned(Guard):
    """A guard whose admission and settlement are plans, run by `drive` or `adrive`."""

    @abc.abstractmethod
    def _admit(self) -> Plan:
        """Block (or raise) until the call may start."""

    @abc.abstractmethod
    def _settle(self, exc: BaseException | None) -> Plan:
        """Account for a finished call; *exc* is what ended it (``None``: success)."""

    def _enter(self) -> None:
        drive(self._admit())

    async def _aenter(self) -> None:
        await adrive(self._admit())

    def _exit(self, exc: BaseException | None) -> None:
        drive(self._settle(exc))

    async def _aexit(self, exc: BaseException | None) -> None:
        await asettle(self._settle(exc))


def guard_function(guard: Guard, fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap *fn* so every call (or every iteration of a generator) runs inside *guard*."""
    return through_descriptor(fn, lambda f: _guard_function(guard, f))


def _guard_function(guard: Guard, func: Callable[P, R]) -> Callable[P, R]:
    kind = callable_kind(func)
    fn: Any = func  # narrowed by *kind*, which type checkers cannot follow
    if kind == "async":

        @functools.wraps(fn)
        async def call_async(*args: Any, **kwargs: Any) -> Any:
            async with guard:
                return await fn(*args, **kwargs)

        return cast("Callable[P, R]", call_async)
    if kind == "async_generator":

        @contextlib.asynccontextmanager  # pyright: ignore[reportDeprecated]
        async def opened(*args: Any, **kwargs: Any) -> AsyncIterator[tuple[Any, Any]]:
            async with guard:
                yield await first_async_item(fn, args, kwargs)

        iterate_async = functools.wraps(fn)(relay_async(opened))
        return cast("Callable[P, R]", iterate_async)
    if kind == "generator":

        @functools.wraps(fn)
        def iterate(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            with guard:
                result: Any = yield from fn(*args, **kwargs)
                return result

        return cast("Callable[P, R]", iterate)

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        with guard:
            return func(*args, **kwargs)

    return call


def is_failure(exc: BaseException | None) -> bool:
    """Whether *exc* is a failure worth learning from (cancellation and exits are not)."""
    return isinstance(exc, Exception)
