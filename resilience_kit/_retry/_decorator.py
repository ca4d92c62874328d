"""``@retry``: tenacity's ``Retrying``/``AsyncRetrying`` driven by ``classify()`` and a policy.

Fast path: the first attempt is a plain call (success costs a ``try`` and a statistics dict).
Only when it raises does the call enter tenacity, which replays that failure as attempt 1 and
drives every further attempt with the strategies of `Engine`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any, Concatenate, Protocol, TypeVar, overload

import tenacity
from typing_extensions import ParamSpec, Unpack

from resilience_kit import _clock
from resilience_kit._callables import callable_kind, through_descriptor
from resilience_kit._checks import check_name
from resilience_kit._retry import _metrics
from resilience_kit._retry._budget import BudgetObserver, RetryBudget
from resilience_kit._retry._continue import Continuation, Relay
from resilience_kit._retry._engine import (
    AsyncController,
    Call,
    Engine,
    Statistics,
    StatisticsView,
    SyncController,
    first_try_statistics,
    replay,
    replay_async,
)
from resilience_kit._retry._hooks import AttemptHook, Hooks, SyncAttemptHook
from resilience_kit._retry._observers import RetryObserver, global_observers
from resilience_kit._retry._policy import RetryOverrides, RetryPolicy, validated_policy
from resilience_kit._retry._presets import Preset, get_preset
from resilience_kit._retry._relay import continue_async, continue_stream
from resilience_kit._streams import EMPTY, Resumed, first_async_item, first_item, relay_async
from resilience_kit.exceptions import ConfigurationError

__all__ = ["AsyncOnlyDecorator", "RetryingCallable", "retry"]

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
R2 = TypeVar("R2")
P2 = ParamSpec("P2")
T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class _ClassFirst(Protocol[T_contra, P, R_co]):
    """A callable whose first parameter is a class (``cls`` under ``@classmethod``)."""

    def __call__(self, cls: type[T_contra], /, *args: P.args, **kwargs: P.kwargs) -> R_co: ...


class RetryingCallable(Protocol[P, R_co]):
    """A function decorated with ``@retry``: same signature, plus retry controls.

    Binding follows the decorated function: a method gets ``self`` bound on an instance and a
    ``@classmethod`` gets ``cls`` bound (type checkers do not model ``classmethod`` over a
    descriptor, so ``__get__`` recognises a first parameter typed ``type[Owner]``).
    """

    retry: tenacity.BaseRetrying
    """The tenacity controller template every call copies."""
    policy: RetryPolicy
    """The validated policy this function retries under."""
    statistics: Mapping[str, Any]
    """tenacity's statistics of the calling thread's/task's most recent call (a live view)."""
    __qualname__: str

    @property
    def __name__(self) -> str:
        """The decorated function's name."""
        ...

    @property
    def __wrapped__(self) -> Callable[P, R_co]:
        """The decorated function itself."""
        ...

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    def retry_with(self, **overrides: Unpack[RetryOverrides]) -> RetryingCallable[P, R_co]:
        """The same function retried under this policy with *overrides* (validated)."""
        ...

    @overload
    def __get__(
        self: _ClassFirst[T, P2, R2], instance: None, owner: type[T], /
    ) -> RetryingCallable[P2, R2]: ...
    @overload
    def __get__(
        self, instance: None, owner: type[Any] | None = None, /
    ) -> RetryingCallable[P, R_co]: ...
    @overload
    def __get__(
        self: RetryingCallable[Concatenate[Any, P2], R2],
        instance: object,
        owner: type[Any] | None = None,
        /,
    ) -> RetryingCallable[P2, R2]: ...


class AsyncOnlyDecorator(Protocol):
    """What ``retry(...)`` returns when a hook is async: it decorates coroutine functions only."""

    def __call__(
        self, func: Callable[P, Coroutine[Any, Any, R]], /
    ) -> RetryingCallable[P, Coroutine[Any, Any, R]]: ...


def _decorate(
    func: Callable[P, R],
    policy: RetryPolicy,
    observers: tuple[RetryObserver, ...],
    hooks: Hooks | None = None,
    label: str | None = None,
    continuation: Continuation | None = None,
) -> RetryingCallable[P, R]:
    """Wrap *func*; *observers* (plus the global ones) see every step of every call.

    *label* (the user's ``name=``) names the function in events and metrics; by default events
    say its ``__qualname__`` and metrics key it by module and qualname.
    """
    kind = callable_kind(func)
    if continuation is not None and kind not in ("generator", "async_generator"):
        raise ConfigurationError(
            "continuation", f"applies to generator functions; {kind} functions have no stream"
        )
    qualname = getattr(func, "__qualname__", None) or type(func).__qualname__
    name = label or qualname
    # Metrics: a per-function observer; first-attempt successes go to its cheap record_first.
    metered = _metrics.observer_for(label or metrics_key(func, qualname))
    others = observers + (() if hooks is None else (hooks.observer(),)) + global_observers()
    engine = Engine(name, policy, others + (() if metered is None else (metered,)))
    notify_success = bool(others)
    notify_before = bool(engine.before_observers)
    stats = Statistics()
    is_async = kind in ("async", "async_generator")
    template: Any
    if is_async:
        extra = {} if hooks is None else hooks.tenacity_kwargs()
        drain = extra.get("before_sleep")
        if drain is not None:

            async def before_sleep(retry_state: tenacity.RetryCallState) -> None:
                await drain(retry_state)
                engine.check_after_hooks(retry_state)

            extra["before_sleep"] = before_sleep
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
    first_success = _metrics.first_success_handler(metered, succeeded)
    # The plain wrappers inline first_success: it is most of the cost of a metered call.
    take_token, timed = _metrics.first_success_parts(metered)

    wrapper: Any
    if kind == "async_generator":

        @contextlib.asynccontextmanager  # pyright: ignore[reportDeprecated]
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
            if continuation is not None and item is not EMPTY:  # cuts continue, see _relay
                relay = Relay(engine, continuation, (call_func, args, kwargs), attempts, start)
                agen = continue_async(relay, agen, item)
                item = await agen.__anext__()
            try:
                yield agen, item  # relayed from here on: later failures are not retried
            except Exception as exc:
                if continuation is None:
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
            if continuation is not None:  # cuts continue, see _relay
                relay = Relay(engine, continuation, (call_func, args, kwargs), attempts, start)
                return (yield from continue_stream(relay, gen, item))
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

    decorated: Any = functools.wraps(func)(wrapper)
    if hooks is not None:
        decorated = hooks.wrap(decorated)
        decorated.__wrapped__ = func
    decorated.retry = template
    decorated.policy = policy
    decorated.statistics = StatisticsView(stats)

    def retry_with(**overrides: Any) -> RetryingCallable[P, R]:
        return _decorate(
            func, validated_policy(policy, overrides), observers, hooks, label, continuation
        )

    decorated.retry_with = retry_with
    result: RetryingCallable[P, R] = decorated
    return result


def metrics_key(func: Callable[..., Any], qualname: str) -> str:
    """``module.qualname``: two ``ask`` functions in different modules are two metrics rows."""
    module = getattr(func, "__module__", None) or type(func).__module__
    return f"{module}.{qualname}"


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
    preset: Preset = "default",
    *,
    policy: RetryPolicy | None = None,
    name: str | None = None,
    on_retry: SyncAttemptHook | None = None,
    on_give_up: SyncAttemptHook | None = None,
    on_success: SyncAttemptHook | None = None,
    budget: RetryBudget | None = None,
    continuation: Continuation | None = None,
    **overrides: Unpack[RetryOverrides],
) -> Callable[[Callable[P, R]], RetryingCallable[P, R]]: ...
@overload
def retry(
    preset: Preset = "default",
    *,
    policy: RetryPolicy | None = None,
    name: str | None = None,
    on_retry: AttemptHook | None = None,
    on_give_up: AttemptHook | None = None,
    on_success: AttemptHook | None = None,
    budget: RetryBudget | None = None,
    continuation: Continuation | None = None,
    **overrides: Unpack[RetryOverrides],
) -> AsyncOnlyDecorator: ...
def retry(
    preset: Preset | Callable[P, R] = "default",
    *,
    policy: RetryPolicy | None = None,
    name: str | None = None,
    on_retry: AttemptHook | None = None,
    on_give_up: AttemptHook | None = None,
    on_success: AttemptHook | None = None,
    budget: RetryBudget | None = None,
    continuation: Continuation | None = None,
    **overrides: Unpack[RetryOverrides],
) -> RetryingCallable[P, R] | Callable[[Callable[P, R]], RetryingCallable[P, R]]:
    """Retry the decorated function on retryable failures, as *preset* (or *policy*) says.

    Works on sync and async functions, generators and async generators (retried only until
    their first item). ``**overrides`` are [`RetryPolicy`][resilience_kit.RetryPolicy] fields.
    Configuration is validated here, at decoration time. ``@retry`` without parentheses uses
    ``"default"``. ``on_retry``, ``on_give_up`` and ``on_success`` are lifecycle hooks receiving an
    [`AttemptRecord`][resilience_kit.AttemptRecord] (async hooks only on coroutine functions).
    A shared *budget* ([`RetryBudget`][resilience_kit.RetryBudget]) caps retries across every
    function using it.
    *name* names the function in log events and metrics (by default events say its
    ``__qualname__`` and metrics key it by ``module.qualname``).
    *continuation* ([`Continuation`][resilience_kit.Continuation]) lets a generator that fails
    after output with a retryable failure continue with a follow-up call (see docs/streams.md).
    """
    if callable(preset) or isinstance(preset, (classmethod, staticmethod)):
        bare = get_preset("default")
        return through_descriptor(preset, lambda func: _decorate(func, bare, ()))
    if name is not None:
        check_name("name", name)
    resolved = resolve_policy(preset, policy, overrides)
    hooks = Hooks.build(on_retry, on_give_up, on_success)
    if budget is not None and not isinstance(budget, RetryBudget):
        raise ConfigurationError("budget", f"must be a RetryBudget, got {type(budget).__name__}")
    observers: tuple[RetryObserver, ...] = () if budget is None else (BudgetObserver(budget),)
    if continuation is not None and not isinstance(continuation, Continuation):
        raise ConfigurationError(
            "continuation", f"must be a Continuation, got {type(continuation).__name__}"
        )

    def decorate(func: Callable[P, R]) -> RetryingCallable[P, R]:
        if hooks is not None:
            hooks.check_function(func)
        return through_descriptor(
            func, lambda f: _decorate(f, resolved, observers, hooks, name, continuation)
        )

    return decorate
