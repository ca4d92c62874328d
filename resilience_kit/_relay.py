"""One relay loop for every decorator that wraps an async generator.

Async generators have no ``yield from``, so a wrapper must relay by hand: ``asend`` values and
``athrow`` exceptions go to the inner stream, and the stream is closed when the wrapper ends.
`relay_async()` writes that loop once; each decorator supplies only what runs around it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from resilience_kit._streams import EMPTY

__all__ = ["StreamOpener", "relay_async"]

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
