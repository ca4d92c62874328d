"""What every decorator asks about the callable it wraps: its kind, its name, and notes on errors.

`callable_kind()` is the one answer to "sync, async, generator or async generator?" for every
decorator of the kit. It looks through ``functools.partial``, bound methods, ``classmethod`` and
``staticmethod`` objects and callable objects (judged by their class's ``__call__``), so an
object with ``async def __call__`` is async everywhere, not only where someone remembered it.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast

__all__ = ["Kind", "add_note", "callable_kind", "function_name", "through_descriptor"]

Kind = Literal["sync", "async", "generator", "async_generator"]

T = TypeVar("T")

_MAX_UNWRAP = 32  # partials of methods of partials...: deep enough, and no endless loop


def _code_owner(fn: Any) -> Any:
    """The plain function whose code flags decide the kind of *fn* (or *fn* itself)."""
    target = fn
    for _ in range(_MAX_UNWRAP):
        if isinstance(target, functools.partial):
            target = target.func
        elif isinstance(target, (classmethod, staticmethod)) or inspect.ismethod(target):
            target = target.__func__
        elif not inspect.isfunction(target) and not isinstance(target, type) and callable(target):
            dunder = next(
                (vars(k)["__call__"] for k in type(target).__mro__ if "__call__" in vars(k)), None
            )
            if dunder is None or not (inspect.isfunction(dunder) or inspect.ismethod(dunder)):
                return target
            target = dunder
        else:
            return target
    return target


def callable_kind(fn: Callable[..., Any]) -> Kind:
    """``sync``, ``async``, ``generator`` or ``async_generator``: how calling *fn* behaves."""
    target = _code_owner(fn)
    if inspect.isasyncgenfunction(target) or inspect.isasyncgenfunction(fn):
        return "async_generator"
    if inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(fn):
        return "async"
    if inspect.isgeneratorfunction(target) or inspect.isgeneratorfunction(fn):
        return "generator"
    return "sync"


def through_descriptor(fn: Any, decorate: Callable[[Any], T]) -> T:
    """``decorate(fn)``; a ``classmethod``/``staticmethod`` object stays one around the result.

    So ``@rk.bulkhead(2)`` written above ``@classmethod`` guards the method and keeps it a
    classmethod, instead of wrapping an object that cannot be called.
    """
    if isinstance(fn, (classmethod, staticmethod)):
        method: Any = type(fn)
        return cast(T, method(decorate(fn.__func__)))
    return decorate(fn)


def function_name(fn: Callable[..., Any]) -> str:
    """A readable name for *fn* in events and errors."""
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn))


def add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)``, also on Python 3.10 (``__notes__`` as 3.11 would keep it)."""
    adder = getattr(exc, "add_note", None)
    if adder is not None:
        with contextlib.suppress(Exception):  # an exception refusing attributes gets no note
            adder(note)
        return
    notes = getattr(exc, "__notes__", None)  # pragma: no cover - Python 3.10
    if isinstance(notes, list):  # pragma: no cover - Python 3.10
        notes.append(note)
    else:  # pragma: no cover - Python 3.10
        with contextlib.suppress(Exception):  # an exception refusing attributes gets no note
            exc.__notes__ = [note]  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
