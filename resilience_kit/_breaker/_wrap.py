"""Guarding functions of the four kinds with a circuit breaker.

A stream (generator or async generator) is admitted when iteration starts and judged when it
ends: exhausted is a success, an exception is judged like any other, closed early is ignored.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any, ParamSpec, TypeVar, cast

from resilience_kit._breaker._core import BreakerCore
from resilience_kit._breaker._types import CLOSED, Permit
from resilience_kit._callables import callable_kind, through_descriptor
from resilience_kit._streams import first_async_item, relay_async

P = ParamSpec("P")
R = TypeVar("R")


def wrap(breaker: BreakerCore, fn: Callable[P, R]) -> Callable[P, R]:
    """*fn* guarded by *breaker*, with the same signature for type checkers."""
    return through_descriptor(fn, lambda f: _wrap(breaker, f))


def _wrap(breaker: BreakerCore, fn: Callable[P, R]) -> Callable[P, R]:
    if not callable(fn):
        raise TypeError(f"circuit breaker {breaker.name!r} can only guard a callable, got {fn!r}")
    kind = callable_kind(fn)
    if kind == "async_generator":
        wrapper: Callable[..., Any] = _async_gen(breaker, fn)
    elif kind == "async":
        wrapper = _async(breaker, fn)
    elif kind == "generator":
        wrapper = _gen(breaker, fn)
    else:
        wrapper = _sync(breaker, fn)
    functools.update_wrapper(wrapper, fn)
    wrapper.breaker = breaker  # type: ignore[attr-defined]
    return cast(Callable[P, R], wrapper)


def _sync(breaker: BreakerCore, fn: Callable[..., Any]) -> Callable[..., Any]:
    acquire, succeed, settle = breaker._acquire, breaker._succeed, breaker._settle
    judge, run, note = breaker._judge, breaker._run, breaker._note_rejection
    local = not breaker._shared
    judged = breaker._slow is not None or breaker._is_failure_result is not None
    # BreakerCore._succeed inlined for a closed-state permit: the healthy circuit's hot path.
    lock, window, ok = breaker._lock, breaker._window, breaker._metrics.ok
    window_success, clocked, closed = window.success, window.uses_clock, CLOSED

    def call(*args: Any, **kwargs: Any) -> Any:
        fast = breaker._fast_gen  # inlined admission of a closed, private breaker
        permit: Permit = fast if fast is not None and local else acquire()
        if judged:
            started = breaker._now()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            plan = settle(permit, judge(exc))
            if plan is not None:
                run(plan)
            note(exc)
            raise
        if judged:
            plan = settle(permit, breaker._result_failed(result, started))
        elif permit.__class__ is int:
            ok()
            if permit >= 0:  # pyright: ignore[reportOperatorIssue]
                with lock:
                    now = breaker._now() if clocked else 0.0
                    if permit == breaker._generation and breaker._state is closed:
                        breaker._consecutive = 0
                        window_success(now)
            return result
        else:
            plan = succeed(permit)
        if plan is not None:
            run(plan)
        return result

    return call


def _async(breaker: BreakerCore, fn: Callable[..., Any]) -> Callable[..., Any]:
    aacquire, succeed, settle = breaker._aacquire, breaker._succeed, breaker._settle
    judge, arun, note = breaker._judge, breaker._arun, breaker._note_rejection
    local = not breaker._shared
    judged = breaker._slow is not None or breaker._is_failure_result is not None

    async def call(*args: Any, **kwargs: Any) -> Any:
        fast = breaker._fast_gen  # inlined admission of a closed, private breaker
        permit: Permit = fast if fast is not None and local else await aacquire()
        if judged:
            started = breaker._now()
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            plan = settle(permit, judge(exc))
            if plan is not None:
                await arun(plan)
            note(exc)
            raise
        if judged:
            plan = settle(permit, breaker._result_failed(result, started))
        else:
            plan = succeed(permit)
        if plan is not None:
            await arun(plan)
        return result

    return call


def _gen(breaker: BreakerCore, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        permit = breaker._acquire()
        started = breaker._now() if breaker._slow is not None else 0.0
        try:
            result = yield from fn(*args, **kwargs)
        except BaseException as exc:
            plan = breaker._settle(permit, breaker._judge(exc))
            if plan is not None:
                breaker._run(plan)
            breaker._note_rejection(exc)
            raise
        plan = breaker._settle(permit, breaker._stream_failed(started))
        if plan is not None:
            breaker._run(plan)
        return result

    return call


def _async_gen(breaker: BreakerCore, fn: Callable[..., Any]) -> Callable[..., Any]:
    @contextlib.asynccontextmanager  # pyright: ignore[reportDeprecated]
    async def opened(*args: Any, **kwargs: Any) -> AsyncIterator[tuple[Any, Any]]:
        permit = await breaker._aacquire()
        started = breaker._now() if breaker._slow is not None else 0.0
        try:
            yield await first_async_item(fn, args, kwargs)
        except BaseException as exc:
            plan = breaker._settle(permit, breaker._judge(exc))
            if plan is not None:
                await breaker._arun(plan)
            breaker._note_rejection(exc)
            raise
        plan = breaker._settle(permit, breaker._stream_failed(started))
        if plan is not None:
            await breaker._arun(plan)

    return relay_async(opened)
