"""One shape for the throughput tools: code that runs around a call.

A `Guard` is a decorator (sync, async, generator and async-generator functions), a ``with``
block and an ``async with`` block at once. Subclasses implement ``_enter``/``_exit`` and their
async twins; ``_exit`` receives the exception that ended the call (``None`` on success).
"""

from __future__ import annotations

import abc
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Generator
from types import TracebackType
from typing import Any, TypeVar, cast

from typing_extensions import ParamSpec, Self

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
