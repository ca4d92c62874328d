"""``@limiter``: each call admitted with its estimated tokens and settled once, wherever it ends.

The call's ticket lives in the wrapper's own frame, never in a context variable: a stream consumed
with each ``next()`` in a fresh copy of the context (Starlette's ``StreamingResponse`` through
anyio), in another thread or another task is settled exactly once, when it ends. The wrapper also
re-enters the call's context around each step, so the answer's headers (read by the client's
response hook) reach the right ticket.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from typing_extensions import ParamSpec

from resilience_kit import _call, _clock
from resilience_kit._callables import callable_kind, through_descriptor
from resilience_kit._streams import first_async_item, relay_async

if TYPE_CHECKING:
    from resilience_kit._throughput._tokens._ticket import Ticket

P = ParamSpec("P")
R = TypeVar("R")


class Admits(Protocol):
    """What the wrappers need of a token limiter."""

    def _estimate(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any: ...
    def _admit(self, estimate: Any) -> Ticket: ...
    async def _aadmit(self, estimate: Any) -> Ticket: ...
    def _finish(self, ticket: Ticket, exc: BaseException | None, result: object) -> None: ...
    async def _afinish(self, ticket: Ticket, exc: BaseException | None, result: object) -> None: ...
    def _register(self, ctx: _call.CallContext, ticket: Ticket) -> None: ...
    def _unregister(self, ctx: _call.CallContext, ticket: Ticket) -> None: ...


def decorate(limiter: Admits, fn: Callable[P, R]) -> Callable[P, R]:
    return through_descriptor(fn, lambda f: _decorate(limiter, f))


def _decorate(limiter: Admits, func: Callable[P, R]) -> Callable[P, R]:
    kind = callable_kind(func)
    fn: Any = func  # narrowed by *kind*, which type checkers cannot follow
    if kind == "async":
        return cast("Callable[P, R]", functools.wraps(fn)(_async(limiter, fn)))
    if kind == "async_generator":
        return cast("Callable[P, R]", functools.wraps(fn)(_async_stream(limiter, fn)))
    if kind == "generator":
        return cast("Callable[P, R]", functools.wraps(fn)(_stream(limiter, fn)))

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        estimate = limiter._estimate(args, kwargs)
        with _call.opened() as ctx:
            ticket = limiter._admit(estimate)
            limiter._register(ctx, ticket)
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                limiter._unregister(ctx, ticket)
                limiter._finish(ticket, exc, None)
                raise
            limiter._unregister(ctx, ticket)
            limiter._finish(ticket, None, result)
            return result

    return call


def _async(limiter: Admits, fn: Any) -> Callable[..., Any]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        estimate = limiter._estimate(args, kwargs)
        with _call.opened() as ctx:
            ticket = await limiter._aadmit(estimate)
            limiter._register(ctx, ticket)
            try:
                result = await fn(*args, **kwargs)
            except BaseException as exc:
                limiter._unregister(ctx, ticket)
                await limiter._afinish(ticket, exc, None)
                raise
            limiter._unregister(ctx, ticket)
            await limiter._afinish(ticket, None, result)
            return result

    return call


def _stream(limiter: Admits, fn: Any) -> Callable[..., Any]:
    def iterate(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        ctx = _call.current() or _call.CallContext(start=_clock.monotonic())
        with _call.entered(ctx):
            ticket = limiter._admit(limiter._estimate(args, kwargs))
        limiter._register(ctx, ticket)
        try:
            result: Any = yield from _InContext(fn(*args, **kwargs), ctx)
        except BaseException as exc:
            limiter._unregister(ctx, ticket)
            limiter._finish(ticket, exc, None)
            raise
        limiter._unregister(ctx, ticket)
        limiter._finish(ticket, None, None)
        return result

    return iterate


def _async_stream(limiter: Admits, fn: Any) -> Callable[..., Any]:
    @contextlib.asynccontextmanager  # pyright: ignore[reportDeprecated]
    async def opened(*args: Any, **kwargs: Any) -> AsyncIterator[tuple[Any, Any]]:
        ctx = _call.current() or _call.CallContext(start=_clock.monotonic())
        with _call.entered(ctx):
            ticket = await limiter._aadmit(limiter._estimate(args, kwargs))
        limiter._register(ctx, ticket)
        try:
            with _call.entered(ctx):
                first = await first_async_item(fn, args, kwargs)
            yield first
        except BaseException as exc:
            limiter._unregister(ctx, ticket)
            await limiter._afinish(ticket, exc, None)
            raise
        limiter._unregister(ctx, ticket)
        await limiter._afinish(ticket, None, None)

    return relay_async(opened)


class _InContext(Generator[Any, Any, Any]):
    """*gen* with each step run inside *ctx* (whatever context the consumer's ``next()`` runs
    in), so the layers below see the call's deadline and its answer reaches its ticket."""

    __slots__ = ("_ctx", "_gen")

    def __init__(self, gen: Iterator[Any], ctx: _call.CallContext) -> None:
        self._gen = cast("Generator[Any, Any, Any]", gen)
        self._ctx = ctx

    def send(self, value: Any) -> Any:
        with _call.entered(self._ctx):
            return self._gen.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        with _call.entered(self._ctx):
            if val is None and tb is None:
                return self._gen.throw(typ)
            return self._gen.throw(typ, val, tb)

    def close(self) -> None:
        with _call.entered(self._ctx):
            self._gen.close()
