"""Streams for every decorator: first-item helpers and the one async relay loop.

An attempt on a generator is "create the stream and get its first item". Once the first item is
out, the stream belongs to the caller: later failures propagate unretried, so no output is ever
produced twice.

Async generators have no ``yield from``, so a wrapper must relay by hand: ``asend`` values and
``athrow`` exceptions go to the inner stream, and the stream is closed when the wrapper ends.
`relay_async()` writes that loop once; each decorator supplies only what runs around it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

from resilience_kit import _call

__all__ = [
    "EMPTY",
    "EnteredStream",
    "Resumed",
    "StreamOpener",
    "first_async_item",
    "first_item",
    "relay_async",
]


class _Empty:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<empty stream>"


EMPTY: Any = _Empty()
"""Stands for "the stream ended before its first item"."""


def first_item(
    func: Callable[..., Iterator[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Iterator[Any], Any, Any]:
    """Start ``func(*args, **kwargs)``; returns (generator, first item or EMPTY, return value)."""
    gen = func(*args, **kwargs)
    try:
        first = next(gen)
    except StopIteration as stop:
        return gen, EMPTY, stop.value
    return gen, first, None


async def first_async_item(
    func: Callable[..., AsyncIterator[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[AsyncIterator[Any], Any]:
    """Start the async generator ``func(*args, **kwargs)``; returns (agen, first item or EMPTY)."""
    agen = func(*args, **kwargs)
    try:
        first = await agen.__anext__()
    except StopAsyncIteration:
        return agen, EMPTY
    return agen, first


def _within(ctx: _call.CallContext | None) -> contextlib.AbstractContextManager[Any]:
    return contextlib.nullcontext() if ctx is None else _call.entered(ctx)


class Resumed(Generator[Any, Any, Any]):
    """A started generator, with its first item put back: ``yield from Resumed(gen, first)``
    behaves exactly like ``yield from`` the original (send, throw and close are forwarded).

    With *ctx*, each step of the generator runs with that call context entered, whatever context
    the consumer's ``next()`` runs in."""

    __slots__ = ("_ctx", "_first", "_gen", "_pending")

    def __init__(
        self, gen: Iterator[Any], first: Any, ctx: _call.CallContext | None = None
    ) -> None:
        self._gen = gen
        self._first = first
        self._pending = True
        self._ctx = ctx

    def send(self, value: Any) -> Any:
        if self._pending:
            self._pending = False
            return self._first
        with _within(self._ctx):
            if value is None or not isinstance(self._gen, Generator):
                return next(self._gen)
            return self._gen.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self._pending = False
        if isinstance(self._gen, Generator):
            exc = typ if val is None else val
            with _within(self._ctx):
                return self._gen.throw(exc)
        raise typ if val is None else val

    def close(self) -> None:
        if isinstance(self._gen, Generator):
            with _within(self._ctx):
                self._gen.close()


class EnteredStream(AsyncGenerator[Any, Any]):
    """An async generator whose every step runs with the call context *ctx* entered (for
    `relay_async`), whatever context the consumer's ``__anext__`` runs in."""

    __slots__ = ("_ctx", "_stream")

    def __init__(self, stream: AsyncGenerator[Any, Any], ctx: _call.CallContext) -> None:
        self._stream = stream
        self._ctx = ctx

    async def asend(self, value: Any) -> Any:
        with _call.entered(self._ctx):
            return await self._stream.asend(value)

    async def athrow(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        with _call.entered(self._ctx):
            return await self._stream.athrow(typ if val is None else val)

    async def aclose(self) -> None:
        with _call.entered(self._ctx):
            await self._stream.aclose()


StreamOpener = Callable[..., AbstractAsyncContextManager[tuple[AsyncGenerator[Any, Any], Any]]]
"""Called with the wrapper's arguments: an async context manager that yields (stream, its first
item or ``EMPTY``) and sees whatever ends the relay (an exception, ``GeneratorExit``, or none)."""


def relay_async(open_stream: StreamOpener) -> Callable[..., AsyncGenerator[Any, Any]]:
    """An async generator function relaying the stream that *open_stream* opens, item by item,
    with ``asend``/``athrow`` forwarded; the stream is closed before the context manager exits."""

    async def relay(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        async with open_stream(*args, **kwargs) as (stream, item):
            try:
                if item is EMPTY:
                    return
                while True:
                    try:
                        received = yield item
                    except GeneratorExit:  # noqa: PERF203 - one per item, as yield from does
                        raise
                    except BaseException as thrown:
                        item = await stream.athrow(thrown)
                    else:
                        item = await stream.asend(received)
            except StopAsyncIteration:
                return
            finally:
                await stream.aclose()

    return relay
