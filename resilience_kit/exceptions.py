"""Errors the kit raises itself. Each holds facts captured when it was raised."""

from __future__ import annotations

from typing import Any, ClassVar

from resilience_kit._categories import ErrorCategory
from resilience_kit._redact import redact

__all__ = [
    "BulkheadFullError",
    "CallTimeoutError",
    "CircuitOpenError",
    "ConfigurationError",
    "GateClosedError",
    "ResilienceError",
]


class ResilienceError(Exception):
    """Base class of every error raised by resilience-kit itself."""

    category: ClassVar[ErrorCategory] = ErrorCategory.UNKNOWN

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description: error type, category, message and the facts it holds."""
        data: dict[str, Any] = {
            "error": type(self).__name__,
            "category": self.category.value,
            "message": redact(str(self)),
        }
        data.update(self._facts())
        return data

    def _facts(self) -> dict[str, Any]:
        return {}


class ConfigurationError(ResilienceError, ValueError):
    """Invalid configuration, raised at decoration or construction time; names the field.

    The message is redacted: a wrong value echoed back (a URL with a password, a key passed
    where a name belongs) never carries its credential into a traceback or a log."""

    category = ErrorCategory.BAD_REQUEST

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {redact(message)}")

    def _facts(self) -> dict[str, Any]:
        return {"field": self.field}


class CircuitOpenError(ResilienceError):
    """The circuit breaker *name* rejected the call; it may admit calls in *retry_after* seconds."""

    category = ErrorCategory.CIRCUIT_OPEN

    def __init__(self, name: str, retry_after: float) -> None:
        self.name = name
        self.retry_after: float = max(retry_after, 0.0)
        super().__init__(f"circuit {name!r} is open; retry in {self.retry_after:.3f}s")

    def _facts(self) -> dict[str, Any]:
        return {"name": self.name, "retry_after": self.retry_after}


class BulkheadFullError(ResilienceError):
    """The bulkhead *name* already runs *max_concurrent* calls and could not admit another."""

    category = ErrorCategory.OVERLOADED

    def __init__(self, name: str, max_concurrent: int, *, bounded_by: str = "") -> None:
        self.name = name
        self.max_concurrent = max_concurrent
        why = f"; no slot came free within {bounded_by}" if bounded_by else ""
        super().__init__(f"bulkhead {name!r} is full ({max_concurrent} concurrent calls){why}")

    def _facts(self) -> dict[str, Any]:
        return {"name": self.name, "max_concurrent": self.max_concurrent}


class CallTimeoutError(ResilienceError, TimeoutError):
    """``timeout(seconds)`` cancelled a call that ran longer than *seconds*."""

    category = ErrorCategory.TIMEOUT

    def __init__(self, function: str, seconds: float, *, bounded_by: str = "") -> None:
        self.function = function
        self.seconds = seconds
        why = f" (cut by {bounded_by})" if bounded_by else ""
        super().__init__(f"{function} did not finish within {seconds:g}s{why}")

    def _facts(self) -> dict[str, Any]:
        return {"function": self.function, "seconds": self.seconds}


class GateClosedError(ResilienceError):
    """The rate-limit gate (or token limiter) *name* cannot admit a call for *retry_after* more
    seconds, beyond its max_wait or the call's time; *state* words that (default: the gate is
    closed)."""

    category = ErrorCategory.RATE_LIMIT

    def __init__(
        self, name: str, retry_after: float, *, bounded_by: str = "", state: str = ""
    ) -> None:
        self.name = name
        self.retry_after: float = max(retry_after, 0.0)
        why = f" (waiting would pass {bounded_by})" if bounded_by else ""
        state = state or f"rate-limit gate {name!r} is closed"
        super().__init__(f"{state}; retry in {self.retry_after:.3f}s{why}")

    def _facts(self) -> dict[str, Any]:
        return {"name": self.name, "retry_after": self.retry_after}
