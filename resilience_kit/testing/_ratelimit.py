"""The fake server's token-bucket rate limit and the 429 it answers when the bucket is empty."""

from __future__ import annotations

import math

from resilience_kit import _clock
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.testing._faults import Fault, Provider

__all__ = ["TokenBucket", "check_rate_limit", "rate_limited"]


class TokenBucket:
    """*rate* tokens a second up to *burst*, on ``_clock.monotonic`` (virtual under no_wait)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = _clock.monotonic()

    def take(self) -> float:
        """0.0 when a token was taken, else the seconds until one is available."""
        now = _clock.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def check_rate_limit(value: object) -> tuple[float, int]:
    problem = ConfigurationError(
        "rate_limit",
        f"must be (requests_per_second > 0, burst int >= 1) or None, got {value!r}",
    )
    if not isinstance(value, tuple) or len(value) != 2:
        raise problem
    rate, burst = value
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < math.inf:
        raise problem
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise problem
    return float(rate), burst


def rate_limited(provider: Provider, wait: float) -> Fault:
    headers = {
        "retry-after": str(max(1, math.ceil(wait))),
        "retry-after-ms": str(math.ceil(wait * 1000)),
    }
    if provider == "gemini":
        # Gemini sends its hint in the body (google.rpc.RetryInfo), and no Retry-After header.
        return Fault.status(
            429,
            message=f"Quota exceeded for requests per minute. Please retry in {wait:.3f}s.",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/generate_requests",
                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                            "quotaValue": "60",
                        }
                    ],
                },
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{max(1, math.ceil(wait))}s",
                },
            ],
        )
    if provider == "bedrock":
        # Bedrock sends no wait hint at all: clients back off.
        return Fault.status(429, message="Too many requests, please wait before trying again.")
    if provider == "openai":
        return Fault.status(
            429,
            headers=headers,
            code="rate_limit_exceeded",
            message=f"Rate limit reached for requests. Please try again in {wait:.3f}s.",
        )
    return Fault.status(
        429, headers=headers, message="Number of requests has exceeded your rate limit"
    )
