"""resilience-kit: LLM calls that survive rate limits, overloads, outages and billing stops.

``import resilience_kit`` is cheap: each public name is imported from its module on first use
(a module-level ``__getattr__``), so a script pays only for the tools it touches. Type checkers
read the imports under ``TYPE_CHECKING`` below and see every name with its real type.
"""

from __future__ import annotations

import typing as _typing

from resilience_kit import _lazy

if _typing.TYPE_CHECKING:
    from resilience_kit import exceptions as exceptions
    from resilience_kit import metrics as metrics
    from resilience_kit import storage as storage
    from resilience_kit import testing as testing
    from resilience_kit._breaker import (
        BreakerOptions,
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
        AttemptRecord,
        Continuation,
        FollowUp,
        OpenAIBackground,
        Preset,
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
        RateLimitGate,
        TokenLimiter,
        arun_batch,
        bulkhead,
        fallback,
        observe,
        run_batch,
        timeout,
    )
    from resilience_kit._version import __version__ as __version__
    from resilience_kit.exceptions import (
        BulkheadFullError,
        CallTimeoutError,
        CircuitOpenError,
        ConfigurationError,
        GateClosedError,
        ResilienceError,
    )

__all__ = [
    "AdaptiveLimiter",
    "AnthropicPrefill",
    "AttemptRecord",
    "BatchFailure",
    "BatchResult",
    "BreakerOptions",
    "BreakerSnapshot",
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
    "ExceptionMap",
    "FollowUp",
    "GateClosedError",
    "OpenAIBackground",
    "Preset",
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

if not _typing.TYPE_CHECKING:  # checkers read the imports above; an unknown name stays an error
    __getattr__, __dir__ = _lazy.attach(
        __name__,
        {
            "resilience_kit._version": ("__version__",),
            "resilience_kit._breaker": (
                "BreakerOptions",
                "BreakerSnapshot",
                "CircuitBreaker",
                "CircuitState",
                "CountWindow",
                "TimeWindow",
                "circuit_breaker",
            ),
            "resilience_kit._categories": ("ErrorCategory",),
            "resilience_kit._classify": (
                "Classification",
                "ExceptionMap",
                "classify",
                "classify_http",
                "register_exception_map",
            ),
            "resilience_kit._compose": ("Resilient", "resilient"),
            "resilience_kit._retry": (
                "AnthropicPrefill",
                "AttemptRecord",
                "Continuation",
                "FollowUp",
                "OpenAIBackground",
                "Preset",
                "RetryBudget",
                "RetryOverrides",
                "RetryPolicy",
                "RetryingCallable",
                "StreamCut",
                "get_preset",
                "load_presets",
                "register_preset",
                "retry",
                "retry_if_retryable",
                "tenacity_kwargs",
                "wait_retry_after",
            ),
            "resilience_kit._throughput": (
                "AdaptiveLimiter",
                "BatchFailure",
                "BatchResult",
                "Bulkhead",
                "RateLimitGate",
                "TokenLimiter",
                "arun_batch",
                "bulkhead",
                "fallback",
                "observe",
                "run_batch",
                "timeout",
            ),
            "resilience_kit.exceptions": (
                "BulkheadFullError",
                "CallTimeoutError",
                "CircuitOpenError",
                "ConfigurationError",
                "GateClosedError",
                "ResilienceError",
            ),
        },
        submodules=("exceptions", "metrics", "storage", "testing"),
    )
