"""``RetryPolicy``: the validated numbers behind every retry decision.

Validated once, when a decorator is built; invalid values raise ``ConfigurationError`` naming the
field and the allowed range. ``model_copy(update=...)`` skips validation, so use
[`RetryPolicy.with_changes()`][resilience_kit.RetryPolicy.with_changes] (or `validated_policy()`) to
derive a policy.

This is the only module of the kit that imports pydantic; it is loaded on first use (the first
decoration, preset lookup or ``RetryPolicy`` access), never by ``import resilience_kit._retry``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from resilience_kit._categories import RETRYABLE_CATEGORIES, ErrorCategory
from resilience_kit._checks import MAX_SECONDS, SECONDS_RANGE
from resilience_kit._retry._overrides import RETRY_ON_RANGE, RetryOverrides
from resilience_kit.exceptions import ConfigurationError

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["RetryOverrides", "RetryPolicy", "validated_policy"]

_RANGES: dict[str, str] = {
    "max_attempts": "an int from 1 to 1000 (not a bool or a string)",
    "initial_wait": f"seconds {SECONDS_RANGE}",
    "max_wait": f"seconds {SECONDS_RANGE}, and >= initial_wait",
    "exp_base": "a number >= 1 and <= 100",
    "jitter": f"seconds {SECONDS_RANGE}",
    "deadline": f"seconds > 0 and <= {MAX_SECONDS:.0f} (one year), or None for no deadline",
    "respect_retry_after": "True or False (a bool, not a string or a number)",
    "max_retry_after": f"seconds {SECONDS_RANGE}",
    "retry_on": RETRY_ON_RANGE,
}


class RetryPolicy(BaseModel):
    """How often and how long to retry, and which failures qualify.

    Waits: a server hint (``Retry-After``) is used as is when ``respect_retry_after`` and it is at
    most ``max_retry_after``; a longer hint gives up at once (so ``max_retry_after=0`` gives up on
    every hinted failure, to let a fallback take it, and still backs off on the others; to back
    off instead of waiting hints, set ``respect_retry_after=False``). Otherwise attempt *n* waits
    ``min(initial_wait * exp_base ** (n - 1), max_wait)`` plus a uniform ``[0, jitter]`` seconds
    (jitter after the cap, so saturated waits are still spread). ``deadline`` bounds the whole
    call, waits included: a wait that would end past it is never started.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(frozen=True, extra="forbid")

    # Strict: True is not 1 attempt and "yes" is not True; every duration is finite and at most
    # a year (longer sleeps are typos, and far longer ones overflow inside a call).
    max_attempts: int = Field(default=10, ge=1, le=1000, strict=True)
    initial_wait: float = Field(default=0.1, ge=0, le=MAX_SECONDS, strict=True)
    max_wait: float = Field(default=5.0, ge=0, le=MAX_SECONDS, strict=True)
    exp_base: float = Field(default=2.0, ge=1, le=100, strict=True)
    jitter: float = Field(default=1.0, ge=0, le=MAX_SECONDS, strict=True)
    deadline: float | None = Field(default=45.0, gt=0, le=MAX_SECONDS, strict=True)
    respect_retry_after: bool = Field(default=True, strict=True)
    max_retry_after: float = Field(default=30.0, ge=0, le=MAX_SECONDS, strict=True)
    retry_on: frozenset[ErrorCategory] = Field(default=RETRYABLE_CATEGORIES, min_length=1)

    def __init__(self, **data: Unpack[RetryOverrides]) -> None:
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

    def with_changes(self, **changes: Unpack[RetryOverrides]) -> RetryPolicy:
        """A copy with *changes*, validated again (unlike ``model_copy``)."""
        return validated_policy(self, changes)

    def backoff_range(self, attempt: int) -> tuple[float, float]:
        """The (min, max) backoff wait after failed attempt number *attempt* (1-based)."""
        try:
            base = min(self.initial_wait * self.exp_base ** (attempt - 1), self.max_wait)
        except OverflowError:
            base = self.max_wait
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
        return RetryPolicy(**_as_overrides(changes))
    if not changes:
        return base
    unknown = sorted(set(changes) - set(RetryPolicy.model_fields))
    if unknown:
        raise ConfigurationError(unknown[0], f"unknown field; allowed: {_allowed()}")
    data = {name: getattr(base, name) for name in RetryPolicy.model_fields}
    data.update(changes)
    return RetryPolicy(**_as_overrides(data))


def _as_overrides(data: Mapping[str, Any]) -> RetryOverrides:
    """Untyped input (TOML, environment, ``**kwargs``) goes to the model, which validates it."""
    return cast("RetryOverrides", dict(data))


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
        field, f"must be {_RANGES.get(field, 'see RetryPolicy')}, got {got!r}"
    )
