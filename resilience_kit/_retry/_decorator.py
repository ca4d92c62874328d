"""``@retry``: tenacity's ``Retrying``/``AsyncRetrying`` driven by ``classify()`` and a policy.

Fast path: the first attempt is a plain call (success costs a ``try`` and a statistics dict).
Only when it raises does the call enter tenacity, which replays that failure as attempt 1 and
drives every further attempt with the strategies of `Engine`.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from contextvars import ContextVar
from typing import Any, Concatenate, Protocol, TypeVar, overload

import tenacity
from typing_extensions import ParamSpec

from resilience_kit import _clock
from resilience_kit._relay import relay_async
from resilience_kit._retry import _metrics as _metrics_observer
from resilience_kit._retry._budget import BudgetObserver, RetryBudget
from resilience_kit._retry._engine import (
    AsyncController,
    Call,
    Engine,
    StatisticsView,
    SyncController,
    first_try_statistics,
    replay,
    replay_async,
)
from resilience_kit._retry._hooks import AttemptHook, Hooks
from resilience_kit._retry._observers import RetryObserver, global_observers
from resilience_kit._retry._policy import RetryPolicy, validated_policy
from resilience_kit._retry._presets import get_preset
from resilience_kit._streams import EMPTY, Resumed, first_async_item, first_item
from resilience_kit.exceptions import ConfigurationError

__all__ = ["RetryingCallable", "retry"]

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
R2 = TypeVar("R2")
P2 = ParamSpec("P2")


class RetryingCallable(Protocol[P, R_co]):
    """A function decorated with ``@retry``: same signature, plus retry controls."""

    retry: tenacity.BaseRetrying
    """The tenacity controller template every call copies."""
    policy: RetryPolicy
    statistics: Mapping[str, Any]
    """tenacity's statistics of the calling thread's/task's most recent call (a live view)."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    def retry_with(self, **overrides: Any) -> RetryingCallable[P, R_co]:
        """The same function retried under this policy with *overrides* (validated)."""
        ...

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> RetryingCallable[P, R_co]: ...
    @overload
    def __get__(
        self: RetryingCallable[Concatenate[Any, P2], R2],
        instance: object,
        owner: type | None = None,
    ) -> RetryingCallable[P2, R2]: ...


def _kind(func: Callable[..., Any]) -> str:
    """sync, async, generator or async_generator (callable objects judged by ``__call__``)."""
    target: Any = func
    if not inspect.isfunction(func) and not inspect.ismethod(func) and callable(func):
        for klass in type(func).__mro__:
            if "__call__" in vars(klass):
                dunder = vars(klass)["__call__"]
                if inspect.isfunction(dunder):
                    target = dunder
                break
    if inspect.isasyncgenfunction(target) or inspect.isasyncgenfunction(func):
        return "async_generator"
    if inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(func):
        return "async"
    if inspect.isgeneratorfunction(target) or inspect.isgeneratorfunction(func):
        return "generator"
    return "sync"


def _decorate(
    func: Callable[P, R],
    policy: RetryPolicy,
    observers: tuple[RetryObserver, ...],
    hooks: Hooks | None = None,
) -> RetryingCallable[P, R]:
    """Wrap *func*; *observers* (plus the global ones) see every step of every call."""
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    # Metrics: a per-function observer; first-attempt successes go to its cheap record_first.
    metered = _metrics_observer.observer_for(name)
    others = observers + (() if hooks is None else (hooks.observer(),)) + global_observers()
    engine = Engine(name, policy, others + (() if metered is None else (metered,)))
    notify_success = bool(others)
    notify_before = bool(engine.before_observers)
    stats: ContextVar[dict[str, Any]] = ContextVar(f"resilience_kit.retry:{name}")
    kind = _kind(func)
    is_async = kind in ("async", "async_generator")
    template: Any
    if is_async:
        extra = {} if hooks is None else hooks.tenacity_kwargs()
        template = AsyncController(sleep=_clock.async_sleep, **engine.tenacity_kwargs(), **extra)
    else:
        template = SyncController(sleep=_clock.sleep, **engine.tenacity_kwargs())
    call_func: Any = func
    monotonic = _clock.monotonic

    def controller_for(start: float) -> Any:
        ctl = template.copy()
        ctl.rk_call = Call(start, replayed=True)
        stats.set(ctl.statistics)
        return ctl

    def begin() -> float:
        start = monotonic()
        stats.set(first_try_statistics(start))
        if notify_before:
            engine.before_attempt(1)
        return start

    succeeded = engine.succeeded if notify_success else None
    first_success = _metrics_observer.first_success_handler(metered, succeeded)
    # The plain wrappers inline first_success: it is most of the cost of a metered call.
    take_token, timed = _metrics_observer.first_success_parts(metered)

    wrapper: Any
    if kind == "async_generator":

        @contextlib.asynccontextmanager
        async def opened(*args: Any, **kwargs: Any) -> AsyncIterator[tuple[Any, Any]]:
            start = begin()
            agen: Any
            item: Any
            try:
                agen, item = await first_async_item(call_func, args, kwargs)
            except Exception as exc:
                failed: BaseException | None = exc
            else:
                failed = None
                first_success(start)
            attempts = 1
            if failed is not None:
                ctl = controller_for(start)
                agen, item = await ctl(
                    replay_async(failed, first_async_item), call_func, args, kwargs
                )
                attempts = ctl.statistics["attempt_number"]
            try:
                yield agen, item  # relayed from here on: later failures are not retried
            except Exception as exc:
                engine.stream_failed(exc, attempts, start)
                raise

        wrapper = relay_async(opened)

    elif kind == "async":

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = begin()
            try:
                result = await call_func(*args, **kwargs)
            except Exception as exc:
                failed = exc
            else:
                if succeeded is not None:
                    succeeded(1, start)
                if take_token is not None:
                    try:
                        take_token()
                    except IndexError:
                        timed(start)
                return result
            return await controller_for(start)(replay_async(failed, call_func), *args, **kwargs)

    elif kind == "generator":

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = begin()
            try:
                gen, item, value = first_item(call_func, args, kwargs)
            except Exception as exc:
                failed: BaseException | None = exc
            else:
                failed = None
                first_success(start)
            attempts = 1
            if failed is not None:
                ctl = controller_for(start)
                gen, item, value = ctl(replay(failed, first_item), call_func, args, kwargs)
                attempts = ctl.statistics["attempt_number"]
            if item is EMPTY:
                return value
            try:
                return (yield from Resumed(gen, item))
            except Exception as exc:
                engine.stream_failed(exc, attempts, start)
                raise

    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = begin()
            try:
                result = call_func(*args, **kwargs)
            except Exception as exc:
                failed = exc
            else:
                if succeeded is not None:
                    succeeded(1, start)
                if take_token is not None:
                    try:
                        take_token()
                    except IndexError:
                        timed(start)
                return result
            return controller_for(start)(replay(failed, call_func), *args, **kwargs)

    wrapper = functools.wraps(func)(wrapper)
    if hooks is not None:
        wrapper = hooks.wrap(wrapper)
    wrapper.retry = template
    wrapper.policy = policy
    wrapper.statistics = StatisticsView(stats)

    def retry_with(**overrides: Any) -> RetryingCallable[P, R]:
        return _decorate(func, validated_policy(policy, overrides), observers, hooks)

    wrapper.retry_with = retry_with
    result: RetryingCallable[P, R] = wrapper
    return result


def resolve_policy(
    preset: str, policy: RetryPolicy | None, overrides: Mapping[str, Any]
) -> RetryPolicy:
    """The validated policy for ``retry(preset, policy=..., **overrides)``."""
    if policy is not None:
        if not isinstance(policy, RetryPolicy):
            raise ConfigurationError(
                "policy", f"must be a RetryPolicy, got {type(policy).__name__}"
            )
        if preset != "default":
            raise ConfigurationError("policy", "pass either a preset name or a policy, not both")
        return validated_policy(policy, overrides)
    if not isinstance(preset, str):
        raise ConfigurationError("preset", f"must be a preset name, got {type(preset).__name__}")
    return validated_policy(get_preset(preset), overrides)


@overload
def retry(preset: Callable[P, R]) -> RetryingCallable[P, R]: ...
@overload
def retry(
    preset: str = "default",
    *,
    policy: RetryPolicy | None = None,
    on_retry: AttemptHook | None = None,
    on_give_up: AttemptHook | None = None,
    on_success: AttemptHook | None = None,
    budget: RetryBudget | None = None,
    **overrides: Any,
) -> Callable[[Callable[P, R]], RetryingCallable[P, R]]: ...
def retry(
    preset: str | Callable[P, R] = "default",
    *,
    policy: RetryPolicy | None = None,
    on_retry: AttemptHook | None = None,
    on_give_up: AttemptHook | None = None,
    on_success: AttemptHook | None = None,
    budget: RetryBudget | None = None,
    **overrides: Any,
) -> RetryingCallable[P, R] | Callable[[Callable[P, R]], RetryingCallable[P, R]]:
    """Retry the decorated function on retryable failures, as *preset* (or *policy*) says.

    Works on sync and async functions, generators and async generators (retried only until their
    first item). ``**overrides`` are [`RetryPolicy`][resilience_kit.RetryPolicy] fields.
    Configuration is validated here, at decoration time. ``@retry`` without parentheses uses
    ``"default"``. ``on_retry``, ``on_give_up`` and ``on_success`` are lifecycle hooks receiving an
    [`AttemptRecord`][resilience_kit.AttemptRecord] (async hooks only on coroutine functions). A
    shared *budget* ([`RetryBudget`][resilience_kit.RetryBudget]) caps retries across every function
    using it.
    """
    if callable(preset):
        return _decorate(preset, get_preset("default"), ())
    resolved = resolve_policy(preset, policy, overrides)
    hooks = Hooks.build(on_retry, on_give_up, on_success)
    if budget is not None and not isinstance(budget, RetryBudget):
        raise ConfigurationError("budget", f"must be a RetryBudget, got {type(budget).__name__}")
    observers: tuple[RetryObserver, ...] = () if budget is None else (BudgetObserver(budget),)

    def decorate(func: Callable[P, R]) -> RetryingCallable[P, R]:
        if hooks is not None:
            hooks.check_function(func)
        return _decorate(func, resolved, observers, hooks)

    return decorate
