"""``RetryOverrides``: the keyword overrides of a retry policy, typed (no pydantic needed)."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypedDict

from resilience_kit._categories import ErrorCategory
from resilience_kit.exceptions import ConfigurationError

__all__ = ["RETRY_ON_RANGE", "RetryOverrides", "check_keywords", "retry_categories"]

RETRY_ON_RANGE = (
    "a non-empty set of ErrorCategory names, e.g. {'rate_limit', 'server'} "
    "(to retry nothing, use max_attempts=1)"
)


class RetryOverrides(TypedDict, total=False):
    """The [`RetryPolicy`][resilience_kit.RetryPolicy] fields accepted as keyword overrides by
    ``retry``, ``retry_with``, ``resilient`` and ``RetryPolicy.with_changes`` (a typo is a type
    error)."""

    max_attempts: int
    initial_wait: float
    max_wait: float
    exp_base: float
    jitter: float
    deadline: float | None
    respect_retry_after: bool
    max_retry_after: float
    retry_on: Collection[ErrorCategory | str]


def retry_categories(retry_on: Iterable[ErrorCategory | str]) -> frozenset[ErrorCategory]:
    """*retry_on* as categories; ``ConfigurationError`` naming ``retry_on`` when it is empty or
    names something that is not a category (an empty set would retry only what a server forces
    with ``x-should-retry``)."""
    items = list(retry_on)
    try:
        categories = frozenset(ErrorCategory(item) for item in items)
    except ValueError:
        categories = frozenset()
    if not categories:
        shown = retry_on if isinstance(retry_on, str) else items
        raise ConfigurationError("retry_on", f"must be {RETRY_ON_RANGE}, got {shown!r}")
    return categories


def check_keywords(function: Callable[..., Any], overrides: Mapping[str, object]) -> None:
    """``ConfigurationError`` for a keyword that is neither *function*'s own nor a policy field,
    listing every keyword *function* accepts (and the closest one, for a typo)."""
    fields = list(RetryOverrides.__annotations__)
    unknown = sorted(set(overrides) - set(fields))
    if not unknown:
        return
    own = [
        parameter.name
        for parameter in inspect.signature(function).parameters.values()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    close = difflib.get_close_matches(unknown[0], own + fields, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ConfigurationError(
        unknown[0],
        f"unknown keyword{hint}; {function.__name__}() accepts {', '.join(own)} "
        f"and the RetryPolicy fields {', '.join(fields)}",
    )
