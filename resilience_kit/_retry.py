"""``@retry``: tenacity's ``Retrying``/``AsyncRetrying`` driven by ``classify()`` and a policy.

One :class:`_Engine` per decorated function holds the tenacity strategies (retry predicate, wait,
stop). Every call runs a fresh copy of the tenacity controller carrying a :class:`_Call` (start
time, last classification, give-up decision), so concurrent calls never share state. The wait
strategy makes every decision (server hint, backoff, deadline, observers' vetoes); the stop
strategy only reads it. tenacity re-raises the original exception (``reraise=True``); the note
explaining why was added before.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar, overload

import tenacity
from typing_extensions import ParamSpec

from resilience_kit import _clock
from resilience_kit._classification import Classification, classify
from resilience_kit._events import emit
from resilience_kit._policy import RetryPolicy, validated_policy
from resilience_kit._presets import get_preset
from resilience_kit._retry_observers import (
    RetryEvent,
    RetryObserver,
    first_veto,
    global_observers,
    notify,
)
from resilience_kit._retry_streams import EMPTY, Resumed, first_async_item, first_item
from resilience_kit._tenacity_blocks import backoff_wait
from resilience_kit.exceptions import ConfigurationError

__all__ = ["RetryingCallable", "retry"]

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


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
    def __get__(self, instance: object, owner: type | None = None) -> Callable[..., R_co]: ...


class _Call:
    """Per-call state shared by the tenacity strategies of one call."""

    __slots__ = ("classification", "gave_up", "start")

    def __init__(self, start: float) -> None:
        self.start = start
        self.classification: Classification | None = None
        self.gave_up = False


class _SyncController(tenacity.Retrying):
    rk_call: _Call


class _AsyncController(tenacity.AsyncRetrying):
    rk_call: _Call


def _call_of(retry_state: tenacity.RetryCallState) -> _Call:
    return retry_state.retry_object.rk_call  # type: ignore[attr-defined,no-any-return]


def add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)``, also on Python 3.10."""
    adder = getattr(exc, "add_note", None)
    if adder is not None:
        adder(note)
    else:  # pragma: no cover - Python 3.10
        exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined]


class _Engine:
    """The tenacity strategies of one decorated function."""

    def __init__(self, name: str, policy: RetryPolicy, observers: tuple[RetryObserver, ...]):
        self.name = name
        self.policy = policy
        self.observers = observers
        self.before_observers = tuple(o for o in observers if o.wants_before_attempt)
        self.backoff = backoff_wait(policy)

    def tenacity_kwargs(self) -> dict[str, Any]:
        return {
            "retry": self.should_retry,
            "wait": self.wait,
            "stop": self.stop,
            "before": self.before if self.before_observers else None,
            "reraise": True,
        }

    def before(self, retry_state: tenacity.RetryCallState) -> None:
        for observer in self.before_observers:
            try:
                observer.before_attempt(self.name, retry_state.attempt_number)
            except Exception:  # noqa: PERF203 - an observer must never break the user's call
                emit("retry_observer_failed", level="warning", method="before_attempt")

    def should_retry(self, retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if exc is None:
            if retry_state.attempt_number > 1 or self.observers:
                self._succeeded(retry_state)
            return False
        if not isinstance(exc, Exception):  # cancellation, KeyboardInterrupt: not our business
            return False
        call = _call_of(retry_state)
        found = call.classification = classify(exc)
        if found.retryable and found.category in self.policy.retry_on:
            return True
        why = "is not retryable" if not found.retryable else "is not in retry_on"
        self._give_up(retry_state, exc, "not_retryable", f"{found.category.value} {why}")
        return False

    def wait(self, retry_state: tenacity.RetryCallState) -> float:
        call = _call_of(retry_state)
        found = call.classification
        attempt = retry_state.attempt_number
        policy = self.policy
        exc = retry_state.outcome.exception() if retry_state.outcome is not None else None
        if exc is None:  # pragma: no cover - tenacity only waits after a failure
            return 0.0
        if attempt >= policy.max_attempts:
            return self._give_up(
                retry_state, exc, "max_attempts", f"max_attempts={policy.max_attempts} reached"
            )
        hint = found.retry_after if found is not None and policy.respect_retry_after else None
        if hint is not None:
            if hint > policy.max_retry_after:
                return self._give_up(
                    retry_state,
                    exc,
                    "retry_after_too_long",
                    f"the server asked to wait {hint:g}s, more than "
                    f"max_retry_after={policy.max_retry_after:g}s",
                )
            wait, reason = max(hint, 0.0), "server_hint"
        else:
            wait, reason = float(self.backoff(retry_state)), "backoff"
        elapsed = _clock.monotonic() - call.start
        if policy.deadline is not None and elapsed + wait > policy.deadline:
            return self._give_up(
                retry_state,
                exc,
                "deadline",
                f"waiting {wait:.2f}s ({reason}) would end past the deadline of "
                f"{policy.deadline:g}s",
            )
        event = RetryEvent(self.name, attempt, elapsed, found, wait, reason)
        if self.observers:
            veto = first_veto(self.observers, event)
            if veto is not None:
                return self._give_up(retry_state, exc, veto, f"retry refused: {veto}")
            notify(self.observers, "on_retry_scheduled", event)
        emit("retry_scheduled", level="warning", **event.log_fields())
        return wait

    def stop(self, retry_state: tenacity.RetryCallState) -> bool:
        return _call_of(retry_state).gave_up

    def _give_up(
        self, retry_state: tenacity.RetryCallState, exc: BaseException, reason: str, detail: str
    ) -> float:
        call = _call_of(retry_state)
        call.gave_up = True
        attempts = retry_state.attempt_number
        elapsed = _clock.monotonic() - call.start
        retry_state.retry_object.statistics["give_up_reason"] = reason
        add_note(
            exc,
            f"resilience_kit.retry: gave up on {self.name} after {attempts} "
            f"attempt{'s' if attempts != 1 else ''} in {elapsed:.2f}s: {detail}",
        )
        event = RetryEvent(self.name, attempts, elapsed, call.classification, 0.0, reason, detail)
        if self.observers:
            notify(self.observers, "on_give_up", event)
        level = "info" if reason == "not_retryable" else "warning"
        emit("retry_gave_up", level=level, detail=detail, **event.log_fields())
        return 0.0

    def _succeeded(self, retry_state: tenacity.RetryCallState) -> None:
        call = _call_of(retry_state)
        event = RetryEvent(self.name, retry_state.attempt_number, _clock.monotonic() - call.start)
        if self.observers:
            notify(self.observers, "on_success", event)
        if retry_state.attempt_number > 1:
            emit("retry_succeeded", **event.log_fields())

    def stream_failed(self, exc: BaseException, attempts: int, start: float) -> None:
        """A generator failed after yielding output: not retried, say so."""
        detail = "the stream failed after yielding output; not retried to avoid duplicates"
        elapsed = _clock.monotonic() - start
        add_note(exc, f"resilience_kit.retry: {self.name}: {detail}")
        event = RetryEvent(self.name, attempts, elapsed, classify(exc), 0.0, "after_first_item")
        if self.observers:
            notify(self.observers, "on_give_up", event)
        emit("retry_gave_up", level="warning", detail=detail, **event.log_fields())


class _StatisticsView(Mapping[str, Any]):
    """Live view of the current thread's/task's most recent call statistics."""

    __slots__ = ("_var",)

    def __init__(self, var: ContextVar[dict[str, Any]]) -> None:
        self._var = var

    def _current(self) -> dict[str, Any]:
        return self._var.get({})

    def __getitem__(self, key: str) -> Any:
        return self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._current()))

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return f"RetryStatistics({self._current()!r})"


def _decorate(
    func: Callable[P, R], policy: RetryPolicy, observers: tuple[RetryObserver, ...]
) -> RetryingCallable[P, R]:
    name = getattr(func, "__qualname__", None) or repr(func)
    engine = _Engine(name, policy, observers + global_observers())
    stats: ContextVar[dict[str, Any]] = ContextVar(f"resilience_kit.retry:{name}")
    is_async = inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)
    template: _SyncController | _AsyncController
    if is_async:
        template = _AsyncController(sleep=_clock.async_sleep, **engine.tenacity_kwargs())
    else:
        template = _SyncController(sleep=_clock.sleep, **engine.tenacity_kwargs())
    sync_template = template if isinstance(template, _SyncController) else None
    async_template = template if isinstance(template, _AsyncController) else None
    call_func: Any = func

    def new_sync() -> tuple[_SyncController, _Call]:
        ctl = sync_template.copy()  # type: ignore[union-attr]
        call = ctl.rk_call = _Call(_clock.monotonic())
        stats.set(ctl.statistics)
        return ctl, call

    def new_async() -> tuple[_AsyncController, _Call]:
        ctl = async_template.copy()  # type: ignore[union-attr]
        call = ctl.rk_call = _Call(_clock.monotonic())
        stats.set(ctl.statistics)
        return ctl, call

    wrapper: Any
    if inspect.isasyncgenfunction(func):

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctl, call = new_async()
            agen: Any
            item: Any
            agen, item = await ctl(first_async_item, call_func, args, kwargs)
            if item is EMPTY:
                return
            attempts = ctl.statistics.get("attempt_number", 1)
            try:
                while True:
                    try:
                        received = yield item
                    except GeneratorExit:
                        await agen.aclose()
                        raise
                    except BaseException as thrown:
                        try:
                            item = await agen.athrow(thrown)
                        except StopAsyncIteration:
                            return
                        continue
                    try:
                        item = await (
                            agen.asend(received) if received is not None else agen.__anext__()
                        )
                    except StopAsyncIteration:
                        return
            except Exception as exc:
                engine.stream_failed(exc, attempts, call.start)
                raise

    elif inspect.iscoroutinefunction(func):

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctl, _call = new_async()
            return await ctl(call_func, *args, **kwargs)

    elif inspect.isgeneratorfunction(func):

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctl, call = new_sync()
            gen, item, value = ctl(first_item, call_func, args, kwargs)
            if item is EMPTY:
                return value
            try:
                return (yield from Resumed(gen, item))
            except Exception as exc:
                engine.stream_failed(exc, ctl.statistics.get("attempt_number", 1), call.start)
                raise

    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctl, _call = new_sync()
            return ctl(call_func, *args, **kwargs)

    wrapper = functools.wraps(func)(wrapper)
    wrapper.retry = template
    wrapper.policy = policy
    wrapper.statistics = _StatisticsView(stats)

    def retry_with(**overrides: Any) -> RetryingCallable[P, R]:
        return _decorate(func, validated_policy(policy, overrides), observers)

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
    preset: str = "default", *, policy: RetryPolicy | None = None, **overrides: Any
) -> Callable[[Callable[P, R]], RetryingCallable[P, R]]: ...
def retry(
    preset: str | Callable[P, R] = "default",
    *,
    policy: RetryPolicy | None = None,
    **overrides: Any,
) -> RetryingCallable[P, R] | Callable[[Callable[P, R]], RetryingCallable[P, R]]:
    """Retry the decorated function on retryable failures, as *preset* (or *policy*) says.

    Works on sync and async functions, generators and async generators (retried only until
    their first item). ``**overrides`` are :class:`RetryPolicy` fields. Configuration is
    validated here, at decoration time. ``@retry`` without parentheses uses ``"default"``.
    """
    if callable(preset):
        return _decorate(preset, get_preset("default"), ())
    resolved = resolve_policy(preset, policy, overrides)

    def decorate(func: Callable[P, R]) -> RetryingCallable[P, R]:
        return _decorate(func, resolved, ())

    return decorate
