"""Throughput tools (L2): guard, slots, gate, limiter, bulkhead, timeout, fallback, batch.

Each tool's module loads on first use of its name (``_compose`` needing the gate does not load
the batch runner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resilience_kit._lazy import attach

if TYPE_CHECKING:
    from resilience_kit._throughput._batch import BatchFailure, BatchResult, arun_batch, run_batch
    from resilience_kit._throughput._bulkhead import Bulkhead, bulkhead
    from resilience_kit._throughput._estimate import Estimate, estimate_tokens
    from resilience_kit._throughput._fallback import fallback
    from resilience_kit._throughput._gate import RateLimitGate
    from resilience_kit._throughput._limiter import AdaptiveLimiter
    from resilience_kit._throughput._observe import observe
    from resilience_kit._throughput._timeout import timeout
    from resilience_kit._throughput._tokens import TokenLimiter

__all__ = [
    "AdaptiveLimiter",
    "BatchFailure",
    "BatchResult",
    "Bulkhead",
    "Estimate",
    "RateLimitGate",
    "TokenLimiter",
    "arun_batch",
    "bulkhead",
    "estimate_tokens",
    "fallback",
    "observe",
    "run_batch",
    "timeout",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "resilience_kit._throughput._batch": (
                "BatchFailure",
                "BatchResult",
                "arun_batch",
                "run_batch",
            ),
            "resilience_kit._throughput._bulkhead": ("Bulkhead", "bulkhead"),
            "resilience_kit._throughput._estimate": ("Estimate", "estimate_tokens"),
            "resilience_kit._throughput._fallback": ("fallback",),
            "resilience_kit._throughput._gate": ("RateLimitGate",),
            "resilience_kit._throughput._limiter": ("AdaptiveLimiter",),
            "resilience_kit._throughput._observe": ("observe",),
            "resilience_kit._throughput._timeout": ("timeout",),
            "resilience_kit._throughput._tokens": ("TokenLimiter",),
        },
    )
