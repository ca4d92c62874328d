"""Construction-time checks for every tool: bad config fails loudly, naming the field and range.

Strict: a bool or a string is never taken for a number, and no duration may be infinite or longer
than :data:`MAX_SECONDS` (a wait that long is a typo, and larger ones overflow the sleeps).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from resilience_kit.exceptions import ConfigurationError

T = TypeVar("T")

MAX_SECONDS = 366 * 86400.0
"""The longest duration any setting accepts: one year."""
SECONDS_RANGE = f">= 0 and <= {MAX_SECONDS:.0f} (one year)"


def check_int(field: str, value: object, minimum: int) -> int:
    """*value* as an int >= *minimum*, or ``ConfigurationError`` naming *field*."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(field, f"must be an int >= {minimum}, got {value!r}")
    return value


def check_number(
    field: str,
    value: object,
    *,
    above: float | None = None,
    at_least: float | None = None,
    at_most: float = math.inf,
) -> float:
    """*value* as a float (not NaN, not bool): > *above* and/or >= *at_least*; <= *at_most*."""
    bound = f"> {above:g}" if above is not None else f">= {at_least:g}"
    if at_most < math.inf:
        bound += f" and <= {at_most:g}"
    problem = ConfigurationError(field, f"must be a number {bound}, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise problem
    number = float(value)
    if (
        (above is not None and not number > above)
        or (at_least is not None and not number >= at_least)
        or not number <= at_most
    ):
        raise problem
    return number


def check_seconds(field: str, value: object, *, above: float | None = None) -> float:
    """A finite duration: >= 0 (or > *above*) and at most :data:`MAX_SECONDS`."""
    lowest = SECONDS_RANGE if above is None else f"> {above:g}" + SECONDS_RANGE.removeprefix(">= 0")
    try:
        if above is None:
            return check_number(field, value, at_least=0.0, at_most=MAX_SECONDS)
        return check_number(field, value, above=above, at_most=MAX_SECONDS)
    except ConfigurationError:
        raise ConfigurationError(field, f"must be seconds {lowest}, got {value!r}") from None


def check_bool(field: str, value: object) -> bool:
    """*value* as a real bool (``"no"`` or ``0`` are not booleans)."""
    if not isinstance(value, bool):
        raise ConfigurationError(field, f"must be True or False, got {value!r}")
    return value


def check_instance(field: str, value: object, kind: type, *, what: str | None = None) -> None:
    """Raise unless *value* is an instance of *kind* (an ABC such as ``Storage`` is fine)."""
    if not isinstance(value, kind):
        raise ConfigurationError(
            field, f"must be {what or 'a ' + kind.__name__}, got {type(value).__name__}"
        )


def check_members(field: str, value: object, kind: type[T], *, what: str) -> frozenset[T]:
    """*value* as a frozenset of *kind* members (an iterable that is not a string)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigurationError(field, f"must be a collection of {what}, got {value!r}")
    members = frozenset(value)
    if not all(isinstance(member, kind) for member in members):
        raise ConfigurationError(field, f"must hold only {what}, got {sorted(map(repr, members))}")
    return members


def check_callables(field: str, value: object) -> list[Callable[..., Any]]:
    """*value* as a list of callables (an iterable of them, not a single function)."""
    if callable(value) or isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigurationError(
            field, f"must be a list of callables, got {type(value).__name__} (wrap one in [...])"
        )
    items = list(value)
    for item in items:
        if not callable(item):
            raise ConfigurationError(field, f"must hold only callables, got {item!r}")
    return items


def check_name(field: str, value: object) -> str:
    """*value* as a non-empty string."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(field, f"must be a non-empty string, got {value!r}")
    return value
