"""Python's own exceptions and the kit's errors: timeouts, connection errors, open circuits."""

from __future__ import annotations

import sys

from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._model import Classification, make
from resilience_kit.exceptions import CircuitOpenError, GateClosedError, ResilienceError

KIT = "resilience_kit"
"""The provider of a failure the kit raised itself (an open circuit, a closed gate, ...)."""


def _timeouts() -> tuple[type[BaseException], ...]:
    """``asyncio.TimeoutError`` (not ``TimeoutError`` before 3.11) exists once asyncio is loaded."""
    asyncio = sys.modules.get("asyncio")
    return (TimeoutError,) if asyncio is None else (TimeoutError, asyncio.TimeoutError)


def classify_builtin(exc: BaseException) -> Classification | None:
    """Classify by ``isinstance`` against builtins; ``None`` when the exception is none of them."""
    # The kit's own refusals name the kit: no provider answered them.
    if isinstance(exc, CircuitOpenError):
        return make(ErrorCategory.CIRCUIT_OPEN, exc, retry_after=exc.retry_after, provider=KIT)
    if isinstance(exc, GateClosedError):
        return make(ErrorCategory.RATE_LIMIT, exc, retry_after=exc.retry_after, provider=KIT)
    if isinstance(exc, ResilienceError):
        return make(exc.category, exc, provider=KIT)
    if isinstance(exc, _timeouts()):
        return make(ErrorCategory.TIMEOUT, exc, provider="builtins")
    if isinstance(exc, ConnectionError):
        return make(ErrorCategory.CONNECTION, exc, provider="builtins")
    return None
