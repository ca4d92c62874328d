"""``classify(exc)``: one answer to "what kind of failure is this?" for every client we know.

Exception translation lives here and in ``_classify/``: users' maps first (newest first), then the
built-in map chosen by the top-level module of the exception's class (or of a base class). SDK
modules are never imported by the kit: an exception from ``openai`` can only exist if ``openai``
is already imported.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from resilience_kit import _call
from resilience_kit._categories import ErrorCategory
from resilience_kit._classify import _providers
from resilience_kit._classify._model import (
    BuiltinMap,
    Classification,
    ExceptionMap,
    FollowCause,
    make,
)

__all__ = [
    "Classification",
    "ExceptionMap",
    "classify",
    "classify_once",
    "make",
    "register_builtin",
    "register_exception_map",
    "register_fallback",
]

_MAX_CAUSE_DEPTH = 8

_user_maps: list[tuple[str, ExceptionMap]] = []
_user_maps_lock = threading.Lock()
_builtin_maps: dict[str, BuiltinMap] = dict(_providers.BUILTINS)
_fallback_maps: list[BuiltinMap] = list(_providers.FALLBACKS)


def register_exception_map(
    mapping: ExceptionMap | Mapping[type[BaseException], ErrorCategory],
    *,
    name: str,
) -> Callable[[], None]:
    """Teach ``classify`` about your own client's exceptions; yours win over the built-ins.

    *mapping* is either a dict ``{ExceptionType: ErrorCategory}`` (most specific class wins) or a
    callable returning a ``Classification``, an ``ErrorCategory`` or ``None`` ("not mine").
    Registering an existing *name* again is an error. Returns a function that unregisters the map.
    """
    if not name:
        raise ValueError("register_exception_map: name must be a non-empty string")
    func: ExceptionMap
    if isinstance(mapping, Mapping):
        func = _type_map(dict(mapping))
    elif callable(mapping):
        func = mapping
    else:
        raise TypeError(
            "register_exception_map: mapping must be a callable or a dict of exception type to "
            f"ErrorCategory, got {type(mapping).__name__}"
        )
    with _user_maps_lock:
        if any(existing == name for existing, _ in _user_maps):
            raise ValueError(f"register_exception_map: a map named {name!r} is already registered")
        _user_maps.insert(0, (name, func))

    def unregister() -> None:
        with _user_maps_lock:
            _user_maps[:] = [(n, f) for n, f in _user_maps if n != name]

    return unregister


def _type_map(table: dict[Any, Any]) -> ExceptionMap:
    for key, value in table.items():
        if not (isinstance(key, type) and issubclass(key, BaseException)):
            raise TypeError(f"register_exception_map: key {key!r} is not an exception type")
        if not isinstance(value, ErrorCategory):
            raise TypeError(
                f"register_exception_map: value for {key.__name__} must be an ErrorCategory"
            )

    def lookup(exc: BaseException) -> ErrorCategory | None:
        for klass in type(exc).__mro__:
            if klass in table:
                category: ErrorCategory = table[klass]
                return category
        return None

    return lookup


def register_builtin(module: str, func: BuiltinMap) -> None:
    """Install the built-in map for exceptions whose class lives in top-level *module*."""
    _builtin_maps[module] = func


def register_fallback(func: BuiltinMap) -> None:
    """Install a map tried for every exception no module map claimed (isinstance-based)."""
    if func not in _fallback_maps:
        _fallback_maps.append(func)


def classify(exc: BaseException) -> Classification:
    """Classify *exc*. Never raises; an exception nobody knows is ``UNKNOWN`` (not retryable)."""
    try:
        return _classify(exc, 0)
    except Exception:  # pragma: no cover - a defensive net; every map is tested
        return make(ErrorCategory.UNKNOWN, exc)


def classify_once(exc: BaseException) -> Classification:
    """``classify(exc)``, computed once per failed attempt of a kit call and read back by every
    layer the failure crosses (through the call's context, ``CallContext.classified``).

    Outside a kit call it is ``classify(exc)``. Nothing is kept on *exc*.
    """
    ctx = _call.current()
    if ctx is None:
        return classify(exc)
    return ctx.classified(exc, classify)


def _classify(exc: BaseException, depth: int) -> Classification:
    """The dispatcher: user maps, the class's module's map, fallbacks, then ``__cause__``."""
    for _name, func in tuple(_user_maps):  # a snapshot: maps may be added meanwhile
        try:
            answer = func(exc)
        except Exception:  # a user's broken map falls through to the built-ins
            answer = None
        if isinstance(answer, Classification):
            return answer
        if isinstance(answer, ErrorCategory):
            return make(answer, exc)
    # The map of the class's own top-level module, then those of its bases' modules, so that
    # wrappers subclassing SDK errors (litellm's subclass openai's) are classified like them.
    seen: set[str] = set()
    for klass in type(exc).__mro__:
        module = klass.__module__.partition(".")[0]
        if module in seen:
            continue
        seen.add(module)
        builtin = _builtin_maps.get(module)
        if builtin is not None:
            found = builtin(exc)
            if found is not None:
                return _settle(found, exc, depth)
    for fallback in _fallback_maps:
        found = fallback(exc)
        if found is not None:
            return _settle(found, exc, depth)
    # An SDK or framework may wrap the transport error that really happened.
    cause = exc.__cause__
    if cause is not None and cause is not exc and depth < _MAX_CAUSE_DEPTH:
        inner = _classify(cause, depth + 1)
        if inner.category is not ErrorCategory.UNKNOWN:
            return inner
    return make(ErrorCategory.UNKNOWN, exc)


def _settle(answer: Classification | FollowCause, exc: BaseException, depth: int) -> Classification:
    """A map's answer as a Classification; "follow the cause" is followed here, not in the map."""
    if isinstance(answer, Classification):
        return answer
    cause = exc.__cause__
    if cause is not None and cause is not exc and depth < _MAX_CAUSE_DEPTH:
        inner = _classify(cause, depth + 1)
        if answer.unknown_cause_answers or inner.category is not ErrorCategory.UNKNOWN:
            return inner.with_changes(**answer.changes) if answer.changes else inner
    return answer.otherwise
