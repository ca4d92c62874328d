"""resilience-kit: LLM calls that survive rate limits, overloads, outages and billing stops."""

from __future__ import annotations

from resilience_kit import metrics as metrics  # the public module `resilience_kit.metrics`
from resilience_kit._breaker._circuit import CircuitBreaker, circuit_breaker
from resilience_kit._breaker._types import BreakerSnapshot, CircuitState
from resilience_kit._breaker._window import CountWindow, TimeWindow
from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._dispatch import (
    Classification,
    ExceptionMap,
    classify,
    register_exception_map,
)
from resilience_kit._compose import Resilient, resilient
from resilience_kit._retry._budget import RetryBudget
from resilience_kit._retry._decorator import RetryingCallable, retry
from resilience_kit._retry._hooks import AttemptHook, AttemptRecord
from resilience_kit._retry._policy import RetryPolicy
from resilience_kit._retry._presets import get_preset, load_presets, register_preset
from resilience_kit._retry._tenacity import retry_if_retryable, tenacity_kwargs, wait_retry_after
from resilience_kit._throughput._batch import BatchFailure, BatchResult, arun_batch, run_batch
from resilience_kit._throughput._bulkhead import Bulkhead, bulkhead
from resilience_kit._throughput._fallback import fallback
from resilience_kit._throughput._gate import RateLimitGate
from resilience_kit._throughput._limiter import AdaptiveLimiter
from resilience_kit._throughput._timeout import timeout
from resilience_kit.exceptions import (
    BulkheadFullError,
    CallTimeoutError,
    CircuitOpenError,
    ConfigurationError,
    GateClosedError,
    ResilienceError,
)
from resilience_kit.metrics._model import (
    BreakerMetrics,
    FunctionMetrics,
    LatencyHistogram,
    MetricsSnapshot,
)

__all__ = [
    "AdaptiveLimiter",
    "AttemptHook",
    "AttemptRecord",
    "BatchFailure",
    "BatchResult",
    "BreakerMetrics",
    "BreakerSnapshot",
    "Bulkhead",
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
    "GateClosedError",
    "LatencyHistogram",
    "MetricsSnapshot",
    "RateLimitGate",
    "ResilienceError",
    "Resilient",
    "RetryBudget",
    "RetryPolicy",
    "RetryingCallable",
    "TimeWindow",
    "arun_batch",
    "bulkhead",
    "circuit_breaker",
    "classify",
    "fallback",
    "get_preset",
    "load_presets",
    "register_exception_map",
    "register_preset",
    "resilient",
    "retry",
    "retry_if_retryable",
    "run_batch",
    "tenacity_kwargs",
    "timeout",
    "wait_retry_after",
]
