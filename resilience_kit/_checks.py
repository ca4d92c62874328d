"""Construction-time checks for every tool: bad config fails loudly, naming the field.

One message style everywhere: ``ConfigurationError(field, "must be <kind> <allowed range>, got
<value>")``, e.g. ``must be an int >= 1, got 0`` or ``must be a finite number in (0, 1], got 2``.
Strict: a bool or a string is never taken for a number, and no duration may be infinite or longer
than `MAX_SECONDS` (a wait that long is a typo, and larger ones overflow the sleeps).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from resilience_kit.exceptions import ConfigurationError

__all__ = [
    "MAX_SECONDS",
    "check_bool",
    "check_callable",
    "check_callables",
    "check_float",
    "check_instance",
    "check_int",
    "check_members",
    "check_name",
    "check_number",
    "check_rate",
    "check_seconds",
    "check_str",
]

T = TypeVar("T")

MAX_SECONDS = 366 * 86400.0
"""The longest duration any setting accepts: one year."""
SECONDS_RANGE = f">= 0 and <= {MAX_SECONDS:.0f} (one year)"


def _allowed(
    above: float | None, at_least: float | None, below: float | None, at_most: float | None
) -> str:
    """The allowed range in words: ``> 0``, ``>= 1``, ``< 10``, ``in [0, 3600)``, ``in (0, 1]``."""
    low = above if above is not None else at_least
    high = below if below is not None else at_most
    if low is not None and high is not None:
        left, right = "(" if above is not None else "[", ")" if below is not None else "]"
        return f"in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"> {low:g}" if above is not None else f">= {low:g}"
    if high is not None:
        return f"< {high:g}" if below is not None else f"<= {high:g}"
    return ""


def check_int(field: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """*value* as an int >= *minimum* (and <= *maximum*); else ``ConfigurationError(field)``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        allowed = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise ConfigurationError(field, f"must be an int {allowed}, got {value!r}")
    return value


def check_number(
    field: str,
    value: object,
    *,
    above: float | None = None,
    at_least: float | None = None,
    below: float | None = None,
    at_most: float | None = None,
    finite: bool = False,
) -> float:
    """*value* as a float (never NaN or bool) within the given bounds; *finite* also refuses inf."""
    kind = "a finite number" if finite else "a number"
    allowed = _allowed(above, at_least, below, at_most)
    wanted = f"{kind} {allowed}" if allowed else kind
    problem = ConfigurationError(field, f"must be {wanted}, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise problem
    number = float(value)
    if (
        (finite and math.isinf(number))
        or (above is not None and not number > above)
        or (at_least is not None and not number >= at_least)
        or (below is not None and not number < below)
        or (at_most is not None and not number <= at_most)
    ):
        raise problem
    return number


def check_float(field: str, value: object, *, minimum: float, inclusive: bool = True) -> float:
    """*value* as a finite float >= (or, not *inclusive*, >) *minimum*."""
    if inclusive:
        return check_number(field, value, at_least=minimum, finite=True)
    return check_number(field, value, above=minimum, finite=True)


def check_rate(field: str, value: object) -> float:
    """*value* as a rate in (0, 1]."""
    return check_number(field, value, above=0.0, at_most=1.0)


def check_name(field: str, value: object) -> str:
    """*value* as a non-empty string."""
    if not isinstance(value, str) or not value:
        got = repr(value) if isinstance(value, str) else type(value).__name__  # bytes hold keys too
        raise ConfigurationError(field, f"must be a non-empty string, got {got}")
    return value


def check_str(field: str, value: object) -> str:
    """*value* as a string (empty allowed)."""
    if not isinstance(value, str):
        raise ConfigurationError(field, f"must be a string, got {type(value).__name__}")
    return value


def check_callable(field: str, value: T) -> T:
    """*value* itself, when it can be called."""
    if not callable(value):
        raise ConfigurationError(field, f"must be callable, got {type(value).__name__}")
    return value


def check_seconds(field: str, value: object, *, above: float | None = None) -> float:
    """A finite duration: >= 0 (or > *above*) and at most `MAX_SECONDS`."""
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
