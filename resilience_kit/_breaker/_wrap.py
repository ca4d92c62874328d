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
from resilience_kit._callables import callable_kind, through_descriptor
from resilience_kit._streams import first_async_item, relay_async

P = ParamSpec("P")
R = TypeVar("R")


def wrap(core: BreakerCore, fn: Callable[P, R], owner: object) -> Callable[P, R]:
    """*fn* guarded by *core* (the state machine of breaker *owner*), with the same signature for
    type checkers; ``wrapper.breaker`` is *owner*."""
    return through_descriptor(fn, lambda f: _wrap(core, f, owner))


def _wrap(core: BreakerCore, fn: Callable[P, R], owner: object) -> Callable[P, R]:
    if not callable(fn):
        raise TypeError(
            f"circuit breaker {core.name!r} can only guard a callable, got {type(fn).__name__}"
        )
    kind = callable_kind(fn)
    if kind == "async_generator":
        wrapper: Callable[..., Any] = _async_gen(core, fn)
    elif kind == "async":
        wrapper = _async(core, fn)
    elif kind == "generator":
        wrapper = _gen(core, fn)
    else:
        wrapper = _sync(core, fn)
    functools.update_wrapper(wrapper, fn)
    wrapper.breaker = owner  # type: ignore[attr-defined]
    return cast(Callable[P, R], wrapper)


def _sync(core: BreakerCore, fn: Callable[..., Any]) -> Callable[..., Any]:
    admit, ok, returned, raised = core.admit, core.ok, core.returned, core.raised
    run, announce, started_at = core.run, core.announce, core.started
    judged = core.judge.judges_results

    def call(*args: Any, **kwargs: Any) -> Any:
        permit = admit()
        started = started_at() if judged else 0.0
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            plan = raised(permit, exc)
            if plan is not None:
                run(plan)
            announce(exc)
            raise
        plan = returned(permit, result, started) if judged else ok(permit)
        if plan is not None:
            run(plan)
        return result

    return call


def _async(core: BreakerCore, fn: Callable[..., Any]) -> Callable[..., Any]:
    aadmit, ok, returned, raised = core.aadmit, core.ok, core.returned, core.raised
    arun, announce, started_at = core.arun, core.announce, core.started
    judged = core.judge.judges_results

    async def call(*args: Any, **kwargs: Any) -> Any:
        permit = await aadmit()
        started = started_at() if judged else 0.0
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            plan = raised(permit, exc)
            if plan is not None:
                await arun(plan)
            announce(exc)
            raise
        plan = returned(permit, result, started) if judged else ok(permit)
        if plan is not None:
            await arun(plan)
        return result

    return call


def _gen(core: BreakerCore, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        permit = core.admit()
        started = core.started()
        try:
            result = yield from fn(*args, **kwargs)
        except BaseException as exc:
            plan = core.raised(permit, exc)
            if plan is not None:
                core.run(plan)
            core.announce(exc)
            raise
        plan = core.ended(permit, started)
        if plan is not None:
            core.run(plan)
        return result

    return call


def _async_gen(core: BreakerCore, fn: Callable[..., Any]) -> Callable[..., Any]:
    @contextlib.asynccontextmanager  # pyright: ignore[reportDeprecated]
    async def opened(*args: Any, **kwargs: Any) -> AsyncIterator[tuple[Any, Any]]:
        permit = await core.aadmit()
        started = core.started()
        try:
            yield await first_async_item(fn, args, kwargs)
        except BaseException as exc:
            plan = core.raised(permit, exc)
            if plan is not None:
                await core.arun(plan)
            core.announce(exc)
            raise
        plan = core.ended(permit, started)
        if plan is not None:
            await core.arun(plan)

    return relay_async(opened)
