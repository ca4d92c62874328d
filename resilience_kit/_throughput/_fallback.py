"""``fallback(*alternatives, on=..., default=...)``: another model, another provider, a default."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Generator, Iterable
from typing import Any, Protocol, TypeVar, overload

from typing_extensions import ParamSpec

from resilience_kit import _events
from resilience_kit._callables import add_note, callable_kind, function_name, through_descriptor
from resilience_kit._categories import ErrorCategory
from resilience_kit._checks import check_members
from resilience_kit._classify import classify_once
from resilience_kit.exceptions import ConfigurationError

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_FALLBACK_ON: frozenset[ErrorCategory] = frozenset(ErrorCategory) - {ErrorCategory.UNKNOWN}
"""Every recognised failure; an UNKNOWN exception is usually a bug and is never papered over."""


class _Missing:
    def __repr__(self) -> str:
        return "<no default>"


_MISSING: Any = _Missing()


class DefaultFallback(Protocol):
    """The decorator ``fallback(default=...)`` returns: keeps the decorated signature.

    The default's type is not checked against the function's return type: ``default=[]`` or
    ``default={}`` cannot be typed before the function is seen. ``default=None`` is typed
    exactly (see `OptionalFallback`).
    """

    @overload
    def __call__(
        self, fn: Callable[P, Coroutine[Any, Any, T]], /
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    @overload
    def __call__(self, fn: Callable[P, T], /) -> Callable[P, T]: ...


class OptionalFallback(Protocol):
    """The decorator ``fallback(default=None)`` returns: the result may be None."""

    @overload
    def __call__(
        self, fn: Callable[P, Coroutine[Any, Any, T]], /
    ) -> Callable[P, Coroutine[Any, Any, T | None]]: ...
    @overload
    def __call__(self, fn: Callable[P, T], /) -> Callable[P, T | None]: ...


@overload
def fallback(*, on: Iterable[ErrorCategory] | None = None, default: None) -> OptionalFallback: ...  # pyright: ignore[reportOverlappingOverload]
@overload
def fallback(*, on: Iterable[ErrorCategory] | None = None, default: object) -> DefaultFallback: ...
@overload
def fallback(  # type: ignore[overload-overlap]  # async alternatives: the default is awaited-type
    *alternatives: Callable[P, Coroutine[Any, Any, T]],
    on: Iterable[ErrorCategory] | None = None,
    default: T = ...,
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, Coroutine[Any, Any, T]]]: ...
@overload
def fallback(
    *alternatives: Callable[P, T],
    on: Iterable[ErrorCategory] | None = None,
    default: T = ...,
) -> Callable[[Callable[P, T]], Callable[P, T]]: ...
def fallback(
    *alternatives: Callable[..., Any],
    on: Iterable[ErrorCategory] | None = None,
    default: Any = _MISSING,
) -> Any:
    """When the decorated function fails with a category in *on*, call *alternatives* in order
    with the same arguments (e.g. a bigger-context model, another provider); if every one fails
    that way, return *default* (when given) or re-raise the last failure with a note listing
    what was tried. A failure outside *on* propagates at once. *on* defaults to every category
    except UNKNOWN. The answering fallback is logged as a ``fallback_used`` event.
    """
    for alternative in alternatives:
        if not callable(alternative):
            raise ConfigurationError("alternatives", f"must be callables, got {alternative!r}")
    if not alternatives and default is _MISSING:
        raise ConfigurationError("alternatives", "give at least one alternative or a default")
    what = "ErrorCategory members"
    categories = (
        DEFAULT_FALLBACK_ON if on is None else check_members("on", on, ErrorCategory, what=what)
    )
    if not categories:
        raise ConfigurationError("on", "must be a non-empty collection of ErrorCategory members")
    return _Fallback(alternatives, categories, default)


class _Raised:
    """What a candidate raised, as sent into the fallback's plan."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


class _Fallback:
    def __init__(
        self,
        alternatives: tuple[Callable[..., Any], ...],
        on: frozenset[ErrorCategory],
        default: Any,
    ) -> None:
        self.alternatives = alternatives
        self.on = on
        self.default = default

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return through_descriptor(fn, self._decorate)

    def _decorate(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        name = function_name(fn)
        kind = callable_kind(fn)
        if kind in ("generator", "async_generator"):
            raise ConfigurationError(
                "fallback", f"{name} is a generator; wrap the function that opens the stream"
            )
        if kind == "async":
            return self._wrap_async(fn, name)
        for alternative in self.alternatives:
            if callable_kind(alternative) == "async":
                raise ConfigurationError(
                    "alternatives",
                    f"{function_name(alternative)} is async but {name} is not",
                )
        return self._wrap_sync(fn, name)

    def _plan(self, name: str, fn: Callable[..., Any]) -> Generator[Callable[..., Any], Any, Any]:
        """The fallback's decision, written once for sync and async callers: yields each
        candidate to call and receives what it returned or the ``Exception`` it raised (wrapped
        in `_Raised`); returns the answer, or raises the last failure."""
        tried: list[tuple[str, ErrorCategory]] = []
        last: Exception | None = None
        for position, candidate in enumerate((fn, *self.alternatives)):
            outcome = yield candidate
            if isinstance(outcome, _Raised):
                last = self._failed(outcome.error, candidate, tried)
                continue
            self._answered(name, candidate, position, tried)
            return outcome
        assert last is not None  # at least fn itself was tried
        return self._give_up(name, last, tried)

    def _wrap_sync(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            plan = self._plan(name, fn)
            try:
                candidate = next(plan)
                while True:
                    try:
                        outcome: Any = candidate(*args, **kwargs)
                    except Exception as exc:
                        outcome = _Raised(exc)
                    candidate = plan.send(outcome)
            except StopIteration as stop:
                return stop.value

        return call

    def _wrap_async(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def call(*args: Any, **kwargs: Any) -> Any:
            plan = self._plan(name, fn)
            try:
                candidate = next(plan)
                while True:
                    try:
                        outcome: Any = candidate(*args, **kwargs)
                        if inspect.isawaitable(outcome):
                            outcome = await outcome
                    except Exception as exc:
                        outcome = _Raised(exc)
                    candidate = plan.send(outcome)
            except StopIteration as stop:
                return stop.value

        return call

    def _failed(
        self,
        exc: Exception,
        candidate: Callable[..., Any],
        tried: list[tuple[str, ErrorCategory]],
    ) -> Exception:
        category = classify_once(exc).category
        if category not in self.on:
            raise exc
        tried.append((function_name(candidate), category))
        return exc

    def _answered(
        self,
        name: str,
        candidate: Callable[..., Any],
        position: int,
        tried: list[tuple[str, ErrorCategory]],
    ) -> None:
        if position:
            _events.emit(
                "fallback_used",
                function=name,
                fallback=function_name(candidate),
                position=position,
                category=tried[-1][1].value,
            )

    def _give_up(self, name: str, last: Exception, tried: list[tuple[str, ErrorCategory]]) -> Any:
        if self.default is not _MISSING:
            _events.emit(
                "fallback_used",
                function=name,
                fallback="default",
                position=len(tried),
                category=tried[-1][1].value,
            )
            return self.default
        add_note(
            last,
            "fallback: every candidate failed: "
            + ", ".join(f"{who} ({category.value})" for who, category in tried),
        )
        raise last
