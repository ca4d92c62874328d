"""Circuit breaker (L2): the state machine, its windows and the call wrappers."""

from __future__ import annotations

from resilience_kit._breaker._circuit import (
    DEFAULT_FAILURE_CATEGORIES,
    CircuitBreaker,
    circuit_breaker,
)
from resilience_kit._breaker._options import BreakerOptions, BreakerSnapshot
from resilience_kit._breaker._types import CircuitState
from resilience_kit._breaker._window import CountWindow, TimeWindow

__all__ = [
    "DEFAULT_FAILURE_CATEGORIES",
    "BreakerOptions",
    "BreakerSnapshot",
    "CircuitBreaker",
    "CircuitState",
    "CountWindow",
    "TimeWindow",
    "circuit_breaker",
]
