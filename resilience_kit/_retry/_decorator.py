"""``@retry``: tenacity's own ``Retrying``/``AsyncRetrying`` loop driven by ``classify()`` and a
policy, in stamina's shape (``for attempt in Retrying(...): with attempt: ...``).

Every call opens (or joins) its `CallContext`: the retry deadline bounds every wait inside, and
the attempt's classification is computed once and read by every layer. The decisions are the
strategies of `Engine` (see ``_strategies``); the loop only runs attempts and reports the end.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Protocol, TypeVar, overload

import tenacity
from typing_extensions import ParamSpec, Unpack

from resilience_kit import _call
from resilience_kit._callables import callable_kind, through_descriptor
from resilience_kit._checks import check_name
from resilience_kit._retry import _metrics
from resilience_kit._retry._budget import BudgetObserver, RetryBudget
from resilience_kit._retry._continue import Continuation, Relay
from resilience_kit._retry._engine import Engine
from resilience_kit._retry._hooks import AttemptHook, Hooks, SyncAttemptHook
from resilience_kit._retry._observers import RetryObserver, global_observers
from resilience_kit._retry._overrides import RetryOverrides, check_keywords
from resilience_kit._retry._presets import Preset, get_preset, policy_type, validated
from resilience_kit._retry._relay import continue_async, continue_stream
from resilience_kit._retry._statistics import StatisticsView
from resilience_kit._streams import (
    EMPTY,
    EnteredStream,
    Resumed,
    first_async_item,
    first_item,
    relay_async,
)
from resilience_kit.exceptions import ConfigurationError

if TYPE_CHECKING:
    from resilience_kit._retry._policy import RetryPolicy

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
    """A tenacity controller built like each call's (same strategies)."""
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
    """Wrap *func*; *observers* (plus the global ones and metrics) see every step of every call.

    *label* (the user's ``name=``) names the function in events and metrics; by default events
    say its ``__qualname__`` and metrics key it by module and qualname.
    """
    qualname = getattr(func, "__qualname__", None) or type(func).__qualname__
    metered = _metrics.observer_for(label or metrics_key(func, qualname))
    others = observers + (() if hooks is None else (hooks.observer(),)) + global_observers()
    everyone = others + (() if metered is None else (metered,))
    kind = callable_kind(func)
    is_async = kind in ("async", "async_generator")
    drain = hooks.drain if hooks is not None and hooks.any_async else None
    engine = Engine(label or qualname, policy, everyone, is_async=is_async, drain=drain)
    if continuation is None:
        wrapper = _LOOPS[kind](engine, func, policy.deadline)
    elif kind == "generator":  # cuts after output continue: see _relay
        wrapper = _generator_loop(engine, func, policy.deadline, continuation)
    elif kind == "async_generator":
        wrapper = _async_generator_loop(engine, func, policy.deadline, continuation)
    else:
        raise ConfigurationError(
            "continuation", f"applies to generator functions; {kind} functions have no stream"
        )
    decorated: Any = functools.wraps(func)(wrapper)
    if hooks is not None:
        decorated = hooks.wrap(decorated)
        decorated.__wrapped__ = func
    decorated.retry = engine.template
    decorated.policy = policy
    decorated.statistics = StatisticsView(engine.stats)

    def retry_with(**overrides: Any) -> RetryingCallable[P, R]:
        return _decorate(func, validated(policy, overrides), observers, hooks, label, continuation)

    decorated.retry_with = retry_with
    result: RetryingCallable[P, R] = decorated
    return result


# One loop per function kind, each tenacity's own ``for attempt in Retrying(...)`` inside the call's
# context (`_call.opened`: the retry deadline bounds every wait inside). An attempt's failure is
# handed to tenacity exactly as ``with attempt:`` does (``set_exception``); a success returns at
# once, skipping the ``set_result(None)`` (a Future per call) that ``with attempt:`` would make for
# an outcome nobody reads. Streams use ``with attempt:`` as written.


def _sync_loop(engine: Engine, func: Callable[..., Any], deadline: float | None) -> Any:
    report = bool(engine.observers)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _call.opened(deadline):
            ctl = engine.start()
            try:
                for attempt in ctl:
                    try:
                        result = func(*args, **kwargs)
                    except BaseException:
                        attempt.retry_state.set_exception(sys.exc_info())
                        continue
                    attempts = attempt.retry_state.attempt_number
                    if report or attempts > 1:
                        engine.succeeded(ctl, attempts)
                    return result
            except Exception as exc:
                raise engine.gave_up(ctl, exc)  # noqa: B904 - exc itself, or the rejection
        raise AssertionError("unreachable: tenacity ends the loop by returning or raising")

    return wrapper


def _async_loop(engine: Engine, func: Callable[..., Any], deadline: float | None) -> Any:
    report = bool(engine.observers)

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _call.opened(deadline):
            ctl = engine.start()
            try:
                async for attempt in ctl:
                    try:
                        result = await func(*args, **kwargs)
                    except BaseException:
                        attempt.retry_state.set_exception(sys.exc_info())
                        continue
                    attempts = attempt.retry_state.attempt_number
                    if report or attempts > 1:
                        engine.succeeded(ctl, attempts)
                    return result
            except Exception as exc:
                raise engine.gave_up(ctl, exc)  # noqa: B904 - exc itself, or the rejection
        raise AssertionError("unreachable: tenacity ends the loop by returning or raising")

    return wrapper


def _generator_loop(
    engine: Engine,
    func: Callable[..., Any],
    deadline: float | None,
    continuation: Continuation | None = None,
) -> Any:
    """Retried until the first item; then the stream is relayed, each step in the call's
    context, and a failure is not retried (no output twice)."""

    def first(ctl: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            for attempt in ctl:
                with attempt:
                    opened = first_item(func, args, kwargs)
                    engine.succeeded(ctl, attempt.retry_state.attempt_number)
                    return opened
        except Exception as exc:
            raise engine.gave_up(ctl, exc)  # noqa: B904 - exc itself, or the rejection
        raise AssertionError("unreachable: tenacity ends the loop by returning or raising")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _call.opened(deadline) as ctx:
            ctl = engine.start()
            gen, item, value = first(ctl, args, kwargs)
        if item is EMPTY:
            return value
        if continuation is not None:
            attempts = ctl.statistics["attempt_number"]
            relay = Relay(engine, continuation, (func, args, kwargs), attempts, ctl.rk_start, ctx)
            return (yield from continue_stream(relay, gen, item))
        try:
            return (yield from Resumed(gen, item, ctx))
        except Exception as exc:
            with _call.entered(ctx):
                engine.stream_failed(exc, ctl.statistics["attempt_number"], ctl.rk_start)
            raise

    return wrapper


def _async_generator_loop(
    engine: Engine,
    func: Callable[..., Any],
    deadline: float | None,
    continuation: Continuation | None = None,
) -> Any:
    """The async twin of `_generator_loop`."""

    async def first(ctl: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            async for attempt in ctl:
                with attempt:
                    opened = await first_async_item(func, args, kwargs)
                    engine.succeeded(ctl, attempt.retry_state.attempt_number)
                    return opened
        except Exception as exc:
            raise engine.gave_up(ctl, exc)  # noqa: B904 - exc itself, or the rejection
        raise AssertionError("unreachable: tenacity ends the loop by returning or raising")

    @contextlib.asynccontextmanager  # pyright: ignore[reportDeprecated]
    async def opened(*args: Any, **kwargs: Any) -> AsyncIterator[tuple[Any, Any]]:
        with _call.opened(deadline) as ctx:
            ctl = engine.start()
            agen, item = await first(ctl, args, kwargs)
        if continuation is not None and item is not EMPTY:  # cuts continue, see _relay
            attempts = ctl.statistics["attempt_number"]
            relay = Relay(engine, continuation, (func, args, kwargs), attempts, ctl.rk_start, ctx)
            stream = continue_async(relay, agen, item)
            yield stream, await stream.__anext__()  # the relay gives up or continues itself
            return
        try:
            yield EnteredStream(agen, ctx), item  # relayed from here on: not retried
        except Exception as exc:
            with _call.entered(ctx):
                engine.stream_failed(exc, ctl.statistics["attempt_number"], ctl.rk_start)
            raise

    return relay_async(opened)


_LOOPS: dict[str, Callable[[Engine, Callable[..., Any], float | None], Any]] = {
    "sync": _sync_loop,
    "async": _async_loop,
    "generator": _generator_loop,
    "async_generator": _async_generator_loop,
}


def metrics_key(func: Callable[..., Any], qualname: str) -> str:
    """``module.qualname``: two ``ask`` functions in different modules are two metrics rows."""
    module = getattr(func, "__module__", None) or type(func).__module__
    return f"{module}.{qualname}"


def resolve_policy(
    preset: str, policy: RetryPolicy | None, overrides: Mapping[str, Any]
) -> RetryPolicy:
    """The validated policy for ``retry(preset, policy=..., **overrides)``."""
    if policy is not None:
        if not isinstance(policy, policy_type()):
            raise ConfigurationError(
                "policy", f"must be a RetryPolicy, got {type(policy).__name__}"
            )
        if preset != "default":
            raise ConfigurationError("policy", "pass either a preset name or a policy, not both")
        return validated(policy, overrides)
    if not isinstance(preset, str):
        raise ConfigurationError("preset", f"must be a preset name, got {type(preset).__name__}")
    return validated(get_preset(preset), overrides)


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
    check_keywords(retry, overrides)
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
        if not callable(func) and not isinstance(func, (classmethod, staticmethod)):
            raise TypeError(f"retry can only decorate a callable, got {type(func).__name__}")
        if hooks is not None:
            hooks.check_function(func)
        return through_descriptor(
            func, lambda f: _decorate(f, resolved, observers, hooks, name, continuation)
        )

    return decorate
