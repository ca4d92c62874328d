"""``RetryOverrides``: the keyword overrides of a retry policy, typed (no pydantic needed)."""

from __future__ import annotations

from collections.abc import Collection
from typing import TypedDict

from resilience_kit._categories import ErrorCategory

__all__ = ["RetryOverrides"]


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
