"""Lifecycle hooks ``on_retry``, ``on_give_up`` and ``on_success`` for ``@retry`` and ``resilient``.

Hooks receive an [`AttemptRecord`][resilience_kit.AttemptRecord]. They plug into the retry core as a
``RetryObserver``. Sync hooks run at once, in the calling thread or task. Async hooks are allowed
only on async functions (a sync function cannot await; decorating one with an async hook raises
``ConfigurationError``) and are awaited in the calling task: ``on_retry`` before the retry's wait
starts, ``on_success``/``on_give_up`` before the call returns or re-raises. A hook that raises is
logged (event ``hook_failed``) and never changes the call's outcome.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeAlias

from resilience_kit._callables import callable_kind
from resilience_kit._events import emit
from resilience_kit._retry._observers import AttemptRecord, RetryObserver
from resilience_kit.exceptions import ConfigurationError

__all__ = ["AttemptHook", "AttemptRecord", "Hooks", "SyncAttemptHook"]

AttemptHook: TypeAlias = Callable[[AttemptRecord], "Awaitable[None] | None"]
"""A sync or async callable taking an [`AttemptRecord`][resilience_kit.AttemptRecord]."""

SyncAttemptHook: TypeAlias = Callable[[AttemptRecord], None]
"""A plain (non-async) hook: the only kind a sync function, generator or async generator
accepts. Type checkers pick ``retry``'s async-only overload when a hook returns an awaitable."""

_Pending: TypeAlias = "list[tuple[str, str, Awaitable[Any]]]"
_PENDING: ContextVar[_Pending | None] = ContextVar("resilience_kit.hooks.pending", default=None)


def _is_async(hook: Callable[..., Any]) -> bool:
    return callable_kind(hook) == "async"


class Hooks:
    """The validated hooks of one decorated function."""

    __slots__ = ("any_async", "on_give_up", "on_retry", "on_success")

    def __init__(
        self,
        on_retry: AttemptHook | None,
        on_give_up: AttemptHook | None,
        on_success: AttemptHook | None,
    ) -> None:
        for field, hook in (
            ("on_retry", on_retry),
            ("on_give_up", on_give_up),
            ("on_success", on_success),
        ):
            if hook is not None and not callable(hook):
                raise ConfigurationError(
                    field, f"must be a callable taking an AttemptRecord, got {type(hook).__name__}"
                )
        self.on_retry = on_retry
        self.on_give_up = on_give_up
        self.on_success = on_success
        self.any_async = any(h is not None and _is_async(h) for h in self._all())

    def _all(self) -> tuple[AttemptHook | None, ...]:
        return (self.on_retry, self.on_give_up, self.on_success)

    @classmethod
    def build(
        cls,
        on_retry: AttemptHook | None,
        on_give_up: AttemptHook | None,
        on_success: AttemptHook | None,
    ) -> Hooks | None:
        """Validated hooks, or None when no hook was given."""
        if on_retry is None and on_give_up is None and on_success is None:
            return None
        return cls(on_retry, on_give_up, on_success)

    def check_function(self, func: Callable[..., Any]) -> None:
        """Reject async hooks on functions that cannot await them (decoration time)."""
        if not self.any_async:
            return
        kind = callable_kind(func)
        if kind != "async":
            field = next(
                name
                for name, hook in zip(
                    ("on_retry", "on_give_up", "on_success"), self._all(), strict=True
                )
                if hook is not None and _is_async(hook)
            )
            what = "an async generator" if kind == "async_generator" else "a sync function"
            raise ConfigurationError(
                field,
                f"an async hook needs an async (coroutine) function; "
                f"{getattr(func, '__qualname__', func)!r} is {what}: use a sync hook",
            )

    def observer(self) -> RetryObserver:
        """The retry observer that calls these hooks."""
        return _HookObserver(self)

    @staticmethod
    async def drain() -> None:
        """Await the pending async ``on_retry`` hooks (before a retry's wait starts)."""
        pending = _PENDING.get()
        if pending:
            await _drain(pending)

    def wrap(self, wrapper: Callable[..., Any]) -> Callable[..., Any]:
        """For async hooks on a coroutine function: await them before returning or raising."""
        if not self.any_async:
            return wrapper

        @functools.wraps(wrapper)
        async def hooked(*args: Any, **kwargs: Any) -> Any:
            pending: _Pending = []
            token = _PENDING.set(pending)
            try:
                result = await wrapper(*args, **kwargs)
            except Exception:
                _PENDING.reset(token)
                await _drain(pending)
                raise
            except BaseException:  # cancelled: do not await anything more
                _PENDING.reset(token)
                _discard(pending)
                raise
            _PENDING.reset(token)
            await _drain(pending)
            return result

        return hooked


class _HookObserver(RetryObserver):
    def __init__(self, hooks: Hooks) -> None:
        self.hooks = hooks

    def on_retry_scheduled(self, event: AttemptRecord) -> None:
        if self.hooks.on_retry is not None:
            _fire("on_retry", self.hooks.on_retry, event)

    def on_give_up(self, event: AttemptRecord) -> None:
        if self.hooks.on_give_up is not None:
            _fire("on_give_up", self.hooks.on_give_up, event)

    def on_success(self, event: AttemptRecord) -> None:
        if self.hooks.on_success is not None:
            _fire("on_success", self.hooks.on_success, event)


def _failed(hook_name: str, function: str, exc: BaseException) -> None:
    emit(
        "hook_failed",
        level="warning",
        hook=hook_name,
        function=function,
        error=type(exc).__name__,
    )


def _fire(hook_name: str, hook: AttemptHook, record: AttemptRecord) -> None:
    try:
        result = hook(record)
    except Exception as exc:  # a hook must never change the call's outcome
        _failed(hook_name, record.function, exc)
        return
    if inspect.isawaitable(result):
        pending = _PENDING.get()
        if pending is None:  # a sync function got an awaitable back: cannot await it
            _close(result)
            _failed(hook_name, record.function, TypeError("async hook in a sync function"))
            return
        pending.append((hook_name, record.function, result))


async def _drain(pending: _Pending) -> None:
    while pending:
        hook_name, function, awaitable = pending.pop(0)
        try:
            await awaitable
        except Exception as exc:  # a hook must never change the call's outcome
            _failed(hook_name, function, exc)


def _close(awaitable: object) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


def _discard(pending: _Pending) -> None:
    for _name, _function, awaitable in pending:
        _close(awaitable)
    pending.clear()
