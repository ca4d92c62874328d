"""Throughput tools (L2): guard, slots, gate, limiter, bulkhead, timeout, fallback, batch."""

from __future__ import annotations

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
