"""``timeout(seconds)``: cancel an async call that runs too long, raising ``CallTimeoutError``."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from typing_extensions import ParamSpec

from resilience_kit._checks import check_number
from resilience_kit._throughput._guard import function_name
from resilience_kit.exceptions import CallTimeoutError, ConfigurationError

P = ParamSpec("P")
T = TypeVar("T")

_SYNC_ADVICE = (
    "only async functions can be cancelled; a sync call cannot be interrupted safely. "
    "Set the client's own timeout instead, e.g. openai.OpenAI(timeout=30.0), "
    "anthropic.Anthropic(timeout=30.0) or httpx.Client(timeout=30.0)"
)


class _InnerTimeoutError(Exception):
    """Carries a TimeoutError raised by the function itself past ``wait_for``."""

    def __init__(self, original: BaseException) -> None:
        super().__init__()
        self.original = original


def timeout(
    seconds: float,
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, Coroutine[Any, Any, T]]]:
    """Cancel each call of the decorated async function after *seconds*.

    The call raises [`CallTimeoutError`][resilience_kit.exceptions.CallTimeoutError] (a
    ``TimeoutError``, classified TIMEOUT, so an outer ``retry`` retries it). Decorating a sync
    function raises ``ConfigurationError`` at once, pointing to the client's own timeout setting.
    """
    limit = check_number("seconds", seconds, above=0.0)

    def decorate(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
        if not inspect.iscoroutinefunction(fn):
            raise ConfigurationError(
                "timeout", f"{function_name(fn)} is not an async function: {_SYNC_ADVICE}"
            )
        name = function_name(fn)

        async def shielded(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await fn(*args, **kwargs)
            except asyncio.TimeoutError as exc:  # the function's own timeout, not ours
                raise _InnerTimeoutError(exc) from None

        @functools.wraps(fn)
        async def call(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await asyncio.wait_for(shielded(*args, **kwargs), limit)
            except _InnerTimeoutError as inner:
                original = inner.original
            except asyncio.TimeoutError as exc:
                raise CallTimeoutError(name, limit) from exc
            raise original  # outside the handler, so its own cause and context stay intact

        return call

    return decorate
