"""resilience-kit: LLM calls that survive rate limits, overloads, outages and billing stops."""

from __future__ import annotations

from importlib import metadata as _metadata

from resilience_kit import metrics as metrics  # the public module `resilience_kit.metrics`
from resilience_kit._breaker import (
    BreakerSnapshot,
    CircuitBreaker,
    CircuitState,
    CountWindow,
    TimeWindow,
    circuit_breaker,
)
from resilience_kit._categories import ErrorCategory
from resilience_kit._classify import (
    Classification,
    ExceptionMap,
    classify,
    classify_http,
    register_exception_map,
)
from resilience_kit._compose import Resilient, resilient
from resilience_kit._retry import (
    AnthropicPrefill,
    AttemptHook,
    AttemptRecord,
    BuiltinPreset,
    Continuation,
    FollowUp,
    OpenAIBackground,
    Preset,
    PresetName,
    RetryBudget,
    RetryingCallable,
    RetryOverrides,
    RetryPolicy,
    StreamCut,
    get_preset,
    load_presets,
    register_preset,
    retry,
    retry_if_retryable,
    tenacity_kwargs,
    wait_retry_after,
)
from resilience_kit._throughput import (
    AdaptiveLimiter,
    BatchFailure,
    BatchResult,
    Bulkhead,
    Estimate,
    RateLimitGate,
    TokenLimiter,
    arun_batch,
    bulkhead,
    estimate_tokens,
    fallback,
    observe,
    run_batch,
    timeout,
)
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
    "AnthropicPrefill",
    "AttemptHook",
    "AttemptRecord",
    "BatchFailure",
    "BatchResult",
    "BreakerMetrics",
    "BreakerSnapshot",
    "BuiltinPreset",
    "Bulkhead",
    "BulkheadFullError",
    "CallTimeoutError",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "Classification",
    "ConfigurationError",
    "Continuation",
    "CountWindow",
    "ErrorCategory",
    "Estimate",
    "ExceptionMap",
    "FollowUp",
    "FunctionMetrics",
    "GateClosedError",
    "LatencyHistogram",
    "MetricsSnapshot",
    "OpenAIBackground",
    "Preset",
    "PresetName",
    "RateLimitGate",
    "ResilienceError",
    "Resilient",
    "RetryBudget",
    "RetryOverrides",
    "RetryPolicy",
    "RetryingCallable",
    "StreamCut",
    "TimeWindow",
    "TokenLimiter",
    "arun_batch",
    "bulkhead",
    "circuit_breaker",
    "classify",
    "classify_http",
    "estimate_tokens",
    "fallback",
    "get_preset",
    "load_presets",
    "observe",
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

try:
    __version__: str = _metadata.version("llm-resilience-kit")
except _metadata.PackageNotFoundError:  # a source tree on sys.path that was never installed
    __version__ = "0+unknown"
