"""The failure categories every decision in the kit is made from."""

from __future__ import annotations

import enum


class ErrorCategory(str, enum.Enum):
    """What kind of failure an exception is, independent of the client that raised it."""

    RATE_LIMIT = "rate_limit"
    OVERLOADED = "overloaded"
    SERVER = "server"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    CONFLICT = "conflict"
    QUOTA = "quota"
    AUTH = "auth"
    PERMISSION = "permission"
    BAD_REQUEST = "bad_request"
    CONTEXT_LENGTH = "context_length"
    CONTENT_FILTER = "content_filter"
    NOT_FOUND = "not_found"
    CIRCUIT_OPEN = "circuit_open"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value

    @property
    def retryable(self) -> bool:
        """Whether failures of this category are retried by default."""
        return self in RETRYABLE_CATEGORIES


RETRYABLE_CATEGORIES: frozenset[ErrorCategory] = frozenset(
    {
        ErrorCategory.RATE_LIMIT,
        ErrorCategory.OVERLOADED,
        ErrorCategory.SERVER,
        ErrorCategory.TIMEOUT,
        ErrorCategory.CONNECTION,
        ErrorCategory.CONFLICT,
    }
)
