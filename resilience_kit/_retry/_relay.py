"""The drivers of a continued stream: one for generators, one for async generators.

Each relays the rest of a stream whose first item the retry wrapper already delivered. When the
stream fails, the `Relay` judges the cut; the driver waits, opens the follow-up (an attempt: a
failure before its first item is judged and waited on again) and relays its items, so the caller
sees one stream. Every stream opened here is closed here, whatever ends the relay (the end of the
stream, a give-up, the consumer's close, a cancellation): the permits, slots and reservations the
layers inside took for it come back.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import Any

from resilience_kit import _clock
from resilience_kit._retry._continue import Adapt, Relay
from resilience_kit._streams import EMPTY

__all__ = ["continue_async", "continue_stream"]


def continue_stream(relay: Relay, stream: Iterator[Any], first: Any) -> Generator[Any, Any, Any]:
    """*first* (the stream's first item), then the rest of *stream*, continued past every cut the
    relay accepts; ``send``/``throw``/``close`` reach the stream being relayed."""
    item = first
    step: Callable[[], Any]
    try:
        while True:
            relay.delivered.append(item)
            try:
                received = yield item
            except GeneratorExit:
                raise
            except BaseException as exc:  # throw(): forwarded, as ``yield from`` does
                step, thrown = functools.partial(_throw, stream, exc), True
            else:
                step, thrown = _next_step(stream, received), False
            try:
                if relay.ctx is None:  # the first segment: nothing to re-enter
                    item = step()
                else:
                    with relay.entered():
                        item = step()
            except StopIteration as stop:
                return stop.value
            except Exception as exc:
                if thrown:  # the consumer's own exception came back out: not a cut
                    raise
                _close(stream)
                stream, item, value = _reopen(relay, exc)
                if item is EMPTY:
                    return value
    finally:
        _close(stream)


def _reopen(relay: Relay, exc: BaseException) -> tuple[Iterator[Any], Any, Any]:
    wait = relay.after_cut(exc)
    while True:
        _clock.sleep(wait)
        follow = relay.begin_follow_up()
        gen: Iterator[Any] | None = None
        try:
            with relay.entered():
                opened: Iterator[Any] = relay.func(*follow.args, **follow.kwargs)
                if follow.adapt is not None:
                    opened = _adapted(opened, follow.adapt)
                gen = opened
                return opened, next(opened), None
        except StopIteration as stop:
            return iter(()), EMPTY, stop.value
        except Exception as failed:
            if gen is not None:
                _close(gen)
            wait = relay.after_failed_follow_up(failed)
        except BaseException:
            if gen is not None:
                _close(gen)
            raise


def _next_step(stream: Iterator[Any], received: Any) -> Callable[[], Any]:
    if received is None or not isinstance(stream, Generator):
        return stream.__next__
    return functools.partial(stream.send, received)


def _throw(stream: Iterator[Any], exc: BaseException) -> Any:
    if isinstance(stream, Generator):
        return stream.throw(exc)
    raise exc


def _close(stream: Iterator[Any]) -> None:
    if isinstance(stream, Generator):
        stream.close()


def _adapted(gen: Iterator[Any], adapt: Adapt) -> Generator[Any, None, None]:
    try:
        for raw in gen:
            yield from adapt(raw)
    finally:
        _close(gen)


# -- async ---------------------------------------------------------------------------------


async def continue_async(
    relay: Relay, stream: AsyncIterator[Any], first: Any
) -> AsyncGenerator[Any, Any]:
    """The async form of `continue_stream()` (``asend``/``athrow`` reach the stream)."""
    item = first
    step: Callable[[], Any]
    try:
        while True:
            relay.delivered.append(item)
            try:
                received = yield item
            except GeneratorExit:
                raise
            except BaseException as exc:
                step, thrown = functools.partial(_athrow, stream, exc), True
            else:
                step, thrown = _anext_step(stream, received), False
            try:
                if relay.ctx is None:
                    item = await step()
                else:
                    with relay.entered():
                        item = await step()
            except StopAsyncIteration:
                return
            except Exception as exc:
                if thrown:
                    raise
                await _aclose(stream)
                stream, item = await _areopen(relay, exc)
                if item is EMPTY:
                    return
    finally:
        await _aclose(stream)


async def _areopen(relay: Relay, exc: BaseException) -> tuple[AsyncIterator[Any], Any]:
    wait = relay.after_cut(exc)
    while True:
        await _clock.async_sleep(wait)
        follow = relay.begin_follow_up()
        agen: AsyncIterator[Any] | None = None
        try:
            with relay.entered():
                opened: AsyncIterator[Any] = relay.func(*follow.args, **follow.kwargs)
                if follow.adapt is not None:
                    opened = _aadapted(opened, follow.adapt)
                agen = opened
                return opened, await opened.__anext__()
        except StopAsyncIteration:
            return _empty(), EMPTY
        except Exception as failed:
            if agen is not None:
                await _aclose(agen)
            wait = relay.after_failed_follow_up(failed)
        except BaseException:
            if agen is not None:
                await _aclose(agen)
            raise


def _anext_step(stream: AsyncIterator[Any], received: Any) -> Callable[[], Any]:
    if received is None or not isinstance(stream, AsyncGenerator):
        return stream.__anext__
    return functools.partial(stream.asend, received)


async def _athrow(stream: AsyncIterator[Any], exc: BaseException) -> Any:
    if isinstance(stream, AsyncGenerator):
        return await stream.athrow(exc)
    raise exc


async def _aclose(stream: AsyncIterator[Any]) -> None:
    if isinstance(stream, AsyncGenerator):
        with contextlib.suppress(Exception):  # a stream that fails while closing is done
            await stream.aclose()


async def _aadapted(agen: AsyncIterator[Any], adapt: Adapt) -> AsyncGenerator[Any, None]:
    try:
        async for raw in agen:
            for item in adapt(raw):
                yield item
    finally:
        await _aclose(agen)


async def _empty() -> AsyncGenerator[Any, None]:
    return
    yield  # pragma: no cover - makes this an async generator
