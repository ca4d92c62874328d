"""What a failure is: [`Classification`][resilience_kit.Classification], how maps build one, and
"follow the cause".

Provider maps import only this module (and ``_common``/``_headers``): they return decisions and
never call back into the dispatcher.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, TypeAlias

from resilience_kit._categories import ErrorCategory
from resilience_kit._redact import redact

__all__ = ["BuiltinMap", "Classification", "ExceptionMap", "FollowCause", "make"]

_MAX_MESSAGE = 500


@dataclass(frozen=True, slots=True)
class Classification:
    """What a failure is and what the kit may do about it, captured once when classified."""

    category: ErrorCategory
    retryable: bool
    retry_after: float | None = None
    status_code: int | None = None
    provider: str | None = None
    error_code: str | None = None
    request_id: str | None = None
    in_stream: bool = False
    message: str = ""
    limit: str | None = None
    """For RATE_LIMIT: the limit the 429 hit, ``"requests"`` or ``"tokens"`` (None: unknown)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of every field; the message is redacted (again, for hand-built ones)."""
        data = asdict(self)
        data["category"] = self.category.value
        data["message"] = redact(self.message)
        return data

    def with_changes(self, **changes: Any) -> Classification:
        """A copy with *changes* applied (used by maps that refine a base answer)."""
        return replace(self, **changes)


ExceptionMap: TypeAlias = Callable[[BaseException], "Classification | ErrorCategory | None"]
"""A user map: return a Classification, just a category, or None for "not mine"."""


def make(
    category: ErrorCategory,
    exc: BaseException,
    *,
    retryable: bool | None = None,
    **fields: Any,
) -> Classification:
    """Build a Classification with the category's default retryability and a redacted message."""
    message = fields.pop("message", None)
    if message is None:
        message = _safe_str(exc)
    return Classification(
        category=category,
        retryable=category.retryable if retryable is None else retryable,
        message=redact(message)[:_MAX_MESSAGE],
        **fields,
    )


def _safe_str(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not break classification
        text = ""
    return text or type(exc).__name__


@dataclass(frozen=True, slots=True)
class FollowCause:
    """A map's answer "classify ``__cause__``": the dispatcher does and answers with the cause's
    classification, *changes* applied. Without a cause, or when the cause is UNKNOWN (unless
    *unknown_cause_answers*), *otherwise* is the answer."""

    otherwise: Classification
    changes: Mapping[str, Any] = field(default_factory=dict)
    unknown_cause_answers: bool = False


BuiltinMap: TypeAlias = Callable[[BaseException], "Classification | FollowCause | None"]
"""A built-in provider map: a Classification, "follow the cause", or None for "not mine"."""
