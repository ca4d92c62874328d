"""Construction-time checks for the throughput tools: bad config fails loudly, naming the field."""

from __future__ import annotations

import math

from resilience_kit.exceptions import ConfigurationError


def check_int(field: str, value: object, minimum: int) -> int:
    """*value* as an int >= *minimum*, or ``ConfigurationError`` naming *field*."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(field, f"must be an int >= {minimum}, got {value!r}")
    return value


def check_number(
    field: str, value: object, *, above: float | None = None, at_least: float | None = None
) -> float:
    """*value* as a float (not NaN, not bool) that is > *above* and/or >= *at_least*."""
    bound = f"> {above:g}" if above is not None else f">= {at_least:g}"
    problem = ConfigurationError(field, f"must be a number {bound}, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise problem
    number = float(value)
    if (above is not None and not number > above) or (
        at_least is not None and not number >= at_least
    ):
        raise problem
    return number


def check_name(field: str, value: object) -> str:
    """*value* as a non-empty string."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(field, f"must be a non-empty string, got {value!r}")
    return value
