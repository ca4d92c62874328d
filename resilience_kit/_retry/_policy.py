"""``RetryPolicy``: the validated numbers behind every retry decision.

Validated once, when a decorator is built; invalid values raise ``ConfigurationError`` naming the
field and the allowed range. ``model_copy(update=...)`` skips validation, so use
[`RetryPolicy.with_changes()`][resilience_kit.RetryPolicy.with_changes] (or `validated_policy()`) to
derive a policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from resilience_kit._categories import RETRYABLE_CATEGORIES, ErrorCategory
from resilience_kit.exceptions import ConfigurationError

__all__ = ["RetryPolicy", "validated_policy"]

_RANGES: dict[str, str] = {
    "max_attempts": "an integer from 1 to 1000",
    "initial_wait": "seconds >= 0",
    "max_wait": "seconds >= 0 and >= initial_wait",
    "exp_base": "a number >= 1",
    "jitter": "seconds >= 0",
    "deadline": "seconds > 0, or None for no deadline",
    "respect_retry_after": "true or false",
    "max_retry_after": "seconds >= 0",
    "retry_on": "a set of ErrorCategory names, e.g. {'rate_limit', 'server'}",
}


class RetryPolicy(BaseModel):
    """How often and how long to retry, and which failures qualify.

    Waits: a server hint (``Retry-After``) is used as is when ``respect_retry_after`` and it is at
    most ``max_retry_after``; a longer hint gives up at once. Otherwise attempt *n* waits
    ``min(initial_wait * exp_base ** (n - 1), max_wait)`` plus a uniform ``[0, jitter]`` seconds
    (jitter after the cap, so saturated waits are still spread). ``deadline`` bounds the whole
    call, waits included: a wait that would end past it is never started.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=10, ge=1, le=1000)
    initial_wait: float = Field(default=0.1, ge=0)
    max_wait: float = Field(default=5.0, ge=0)
    exp_base: float = Field(default=2.0, ge=1)
    jitter: float = Field(default=1.0, ge=0)
    deadline: float | None = Field(default=45.0, gt=0)
    respect_retry_after: bool = True
    max_retry_after: float = Field(default=30.0, ge=0)
    retry_on: frozenset[ErrorCategory] = RETRYABLE_CATEGORIES

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _configuration_error(exc) from None

    @model_validator(mode="after")
    def _check_order(self) -> RetryPolicy:
        if self.max_wait < self.initial_wait:
            raise ValueError(
                f"max_wait ({self.max_wait:g}) must be >= initial_wait ({self.initial_wait:g})"
            )
        return self

    def with_changes(self, **changes: Any) -> RetryPolicy:
        """A copy with *changes*, validated again (unlike ``model_copy``)."""
        return validated_policy(self, changes)

    def backoff_range(self, attempt: int) -> tuple[float, float]:
        """The (min, max) backoff wait after failed attempt number *attempt* (1-based)."""
        base = min(self.initial_wait * self.exp_base ** (attempt - 1), self.max_wait)
        return base, base + self.jitter

    def worst_case_total(self, *, with_hints: bool = False) -> float:
        """The longest the waits of one call can add up to, the deadline included.

        With *with_hints*, every retry is assumed to get the longest accepted server hint.
        """
        total = 0.0
        for attempt in range(1, self.max_attempts):
            wait = self.backoff_range(attempt)[1]
            if with_hints and self.respect_retry_after:
                wait = max(wait, self.max_retry_after)
            total += wait
        return total if self.deadline is None else min(total, self.deadline)


def validated_policy(base: RetryPolicy | None, changes: Mapping[str, Any]) -> RetryPolicy:
    """*base* (or the defaults) with *changes* applied and the result validated."""
    if base is None:
        return RetryPolicy(**changes)
    if not changes:
        return base
    unknown = sorted(set(changes) - set(RetryPolicy.model_fields))
    if unknown:
        raise ConfigurationError(unknown[0], f"unknown field; allowed: {_allowed()}")
    data = {name: getattr(base, name) for name in RetryPolicy.model_fields}
    data.update(changes)
    return RetryPolicy(**data)


def _allowed() -> str:
    return ", ".join(RetryPolicy.model_fields)


def _configuration_error(exc: ValidationError) -> ConfigurationError:
    error = exc.errors()[0]
    loc = error.get("loc", ())
    field = str(loc[0]) if loc else "policy"
    if error.get("type") == "extra_forbidden":
        return ConfigurationError(field, f"unknown field; allowed: {_allowed()}")
    if field == "policy" or not loc:
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        return ConfigurationError("max_wait", message)
    got = error.get("input")
    return ConfigurationError(
        field,
        f"{error.get('msg', 'invalid value')} (got {got!r}); allowed: "
        f"{_RANGES.get(field, 'see RetryPolicy')}",
    )
