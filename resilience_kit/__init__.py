"""resilience-kit: LLM calls that survive rate limits, overloads, outages and billing stops."""

from __future__ import annotations

from resilience_kit._categories import ErrorCategory
from resilience_kit._classification import (
    Classification,
    ExceptionMap,
    classify,
    register_exception_map,
)
from resilience_kit.exceptions import (
    BulkheadFullError,
    CallTimeoutError,
    CircuitOpenError,
    ConfigurationError,
    ResilienceError,
)

__all__ = [
    "BulkheadFullError",
    "CallTimeoutError",
    "CircuitOpenError",
    "Classification",
    "ConfigurationError",
    "ErrorCategory",
    "ExceptionMap",
    "ResilienceError",
    "classify",
    "register_exception_map",
]
