"""``timeout(seconds)``: cancel an async call that runs too long, raising ``CallTimeoutError``."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from typing_extensions import ParamSpec

from resilience_kit import _call, _waits
from resilience_kit._callables import callable_kind, function_name, through_descriptor
from resilience_kit._checks import check_seconds
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
    limit = check_seconds("seconds", seconds, above=0.0)

    def decorate(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
        return through_descriptor(fn, wrap)

    def wrap(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
        if callable_kind(fn) != "async":
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
            # The one wait rule: the call may run *seconds*, cut by the call's deadline and an
            # enclosing attempt's timeout (time already queued there counts against it).
            left = _waits.bound(limit)
            by = "" if left.by == "max_wait" else left.describe()
            if left.seconds <= 0:
                raise CallTimeoutError(name, limit, bounded_by=by)
            try:
                # Inner waits (gate, limiter) see this bound as the attempt's timeout.
                with _call.bounded(left.seconds):
                    return await asyncio.wait_for(shielded(*args, **kwargs), left.seconds)
            except _InnerTimeoutError as inner:
                original = inner.original
            except asyncio.TimeoutError as exc:
                raise CallTimeoutError(name, limit, bounded_by=by) from exc
            raise original  # outside the handler, so its own cause and context stay intact

        return call

    return decorate
