"""resilience-kit: LLM calls that survive rate limits, overloads, outages and billing stops."""

from __future__ import annotations

from resilience_kit import metrics as metrics  # the public module `resilience_kit.metrics`
from resilience_kit._breaker import CircuitBreaker, circuit_breaker
from resilience_kit._breaker_types import BreakerSnapshot, CircuitState
from resilience_kit._breaker_window import CountWindow, TimeWindow
from resilience_kit._categories import ErrorCategory
from resilience_kit._classification import (
    Classification,
    ExceptionMap,
    classify,
    register_exception_map,
)
from resilience_kit._hooks import AttemptHook, AttemptRecord
from resilience_kit._metrics_model import (
    BreakerMetrics,
    FunctionMetrics,
    LatencyHistogram,
    MetricsSnapshot,
)
from resilience_kit._policy import RetryPolicy
from resilience_kit._presets import get_preset, load_presets, register_preset
from resilience_kit._retry import RetryingCallable, retry
from resilience_kit._tenacity_blocks import retry_if_retryable, tenacity_kwargs, wait_retry_after
from resilience_kit.exceptions import (
    BulkheadFullError,
    CallTimeoutError,
    CircuitOpenError,
    ConfigurationError,
    ResilienceError,
)

__all__ = [
    "AttemptHook",
    "AttemptRecord",
    "BreakerMetrics",
    "BreakerSnapshot",
    "BulkheadFullError",
    "CallTimeoutError",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "Classification",
    "ConfigurationError",
    "CountWindow",
    "ErrorCategory",
    "ExceptionMap",
    "FunctionMetrics",
    "LatencyHistogram",
    "MetricsSnapshot",
    "ResilienceError",
    "RetryPolicy",
    "RetryingCallable",
    "TimeWindow",
    "circuit_breaker",
    "classify",
    "get_preset",
    "load_presets",
    "register_exception_map",
    "register_preset",
    "retry",
    "retry_if_retryable",
    "tenacity_kwargs",
    "wait_retry_after",
]
