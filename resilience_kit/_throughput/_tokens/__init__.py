"""The token limiter: admission against requests and tokens limits, charged as providers charge."""

from __future__ import annotations

from resilience_kit._throughput._tokens._limiter import TokenLimiter

__all__ = ["TokenLimiter"]
