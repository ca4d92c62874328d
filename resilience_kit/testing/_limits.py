"""The fake server's provider-style limits: requests and tokens per period, refilled continuously.

Like OpenAI and Anthropic, a request is admitted only when one request and its token cost (prompt
tokens plus ``max_tokens``) both fit; every answer carries the rate-limit headers of its provider,
and an empty bucket answers 429 with a whole-second ``retry-after`` and, for OpenAI, the body's
"Please try again in 500ms".
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from dataclasses import dataclass
from typing import Any, Literal

from resilience_kit import _clock
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.testing._faults import Fault, Provider

__all__ = ["Admission", "Buckets", "RateLimits", "go_duration", "request_cost"]

LimitKind = Literal["requests", "tokens"]


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Limits of a `FakeLLMServer`: *requests* and *tokens* per *period* seconds.

    ``period=60`` is a provider's RPM/TPM; a shorter period scales time down for fast tests and
    benchmarks (the headers then count per period). Each bucket holds *depth* seconds of quota
    (default: the whole period, as the providers do) and refills continuously. ``None`` leaves
    that limit off.
    """

    requests: int | None = None
    tokens: int | None = None
    period: float = 60.0
    depth: float | None = None

    def __post_init__(self) -> None:
        for name in ("requests", "tokens"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigurationError(name, f"must be an int >= 1 or None, got {value!r}")
        for name in ("period", "depth"):
            value = getattr(self, name)
            if value is None and name == "depth":
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 < value < math.inf
            ):
                raise ConfigurationError(name, f"must be a finite number > 0, got {value!r}")
        if self.depth is not None and self.depth > self.period:
            raise ConfigurationError(
                "depth", f"must be <= period ({self.period}), got {self.depth}"
            )
        if self.requests is None and self.tokens is None:
            raise ConfigurationError("requests", "give requests, tokens or both")


class _Bucket:
    def __init__(self, limit: int, period: float, depth: float) -> None:
        self.limit = limit
        self.rate = limit / period
        self.capacity = max(limit * depth / period, 1.0)
        self.level = self.capacity
        self.stamp = _clock.monotonic()

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, cost: float) -> float:
        """Seconds until *cost* fits (a cost above the capacity needs a full bucket)."""
        need = min(cost, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate

    def reset(self) -> float:
        """Seconds until the bucket is full again (the providers' ``reset`` headers)."""
        return (self.capacity - self.level) / self.rate


@dataclass(frozen=True, slots=True)
class Admission:
    """What the buckets decided for one request: the headers, and the 429 when it did not fit."""

    headers: dict[str, str]
    fault: Fault | None


class Buckets:
    """The request and token buckets of one server (guarded by the server's lock)."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        depth = limits.period if limits.depth is None else limits.depth
        self.requests = (
            None if limits.requests is None else _Bucket(limits.requests, limits.period, depth)
        )
        self.tokens = (
            None if limits.tokens is None else _Bucket(limits.tokens, limits.period, depth)
        )

    def admit(self, provider: Provider, model: str, cost: int) -> Admission:
        now = _clock.monotonic()
        waits: dict[str, float] = {}
        for name, bucket, amount in (("requests", self.requests, 1), ("tokens", self.tokens, cost)):
            if bucket is not None:
                bucket.refill(now)
                waits[name] = bucket.wait(amount)
        wait = max(waits.values())
        if wait <= 0:
            if self.requests is not None:
                self.requests.level -= 1
            if self.tokens is not None:
                self.tokens.level -= min(cost, self.tokens.capacity)
            return Admission(self._headers(provider), None)
        kind: LimitKind = "tokens" if waits.get("tokens", 0.0) >= wait else "requests"
        headers = self._headers(provider)
        headers["retry-after"] = str(max(1, math.ceil(wait)))
        return Admission(headers, self._fault(provider, kind, model, cost, wait, headers))

    def _fault(
        self,
        provider: Provider,
        kind: LimitKind,
        model: str,
        cost: int,
        wait: float,
        headers: dict[str, str],
    ) -> Fault:
        bucket = self.tokens if kind == "tokens" else self.requests
        assert bucket is not None  # the kind that made the wait
        used = math.ceil(bucket.capacity - bucket.level)
        amount = cost if kind == "tokens" else 1
        if provider == "openai":
            unit = "tokens per min (TPM)" if kind == "tokens" else "requests per min (RPM)"
            return Fault.status(
                429,
                headers=headers,
                code="rate_limit_exceeded",
                type=kind,
                message=(
                    f"Rate limit reached for {model} in organization org-fake on {unit}: "
                    f"Limit {bucket.limit}, Used {used}, Requested {amount}. "
                    f"Please try again in {go_duration(wait)}. Visit "
                    "https://platform.openai.com/account/rate-limits to learn more."
                ),
            )
        what = "input tokens" if kind == "tokens" else "requests"
        return Fault.status(
            429,
            headers=headers,
            type="rate_limit_error",
            message=(
                f"This request would exceed the rate limit for your organization of "
                f"{bucket.limit} {what} per minute."
            ),
        )

    def _headers(self, provider: Provider) -> dict[str, str]:
        headers: dict[str, str] = {}
        for kind, bucket in (("requests", self.requests), ("tokens", self.tokens)):
            if bucket is None:
                continue
            remaining = str(max(0, math.floor(bucket.level)))
            if provider == "openai":
                headers[f"x-ratelimit-limit-{kind}"] = str(bucket.limit)
                headers[f"x-ratelimit-remaining-{kind}"] = remaining
                headers[f"x-ratelimit-reset-{kind}"] = go_duration(bucket.reset())
            else:
                kinds = (kind,) if kind == "requests" else ("tokens", "input-tokens")
                reset = _rfc3339(time.time() + bucket.reset())
                for name in kinds:
                    headers[f"anthropic-ratelimit-{name}-limit"] = str(bucket.limit)
                    headers[f"anthropic-ratelimit-{name}-remaining"] = remaining
                    headers[f"anthropic-ratelimit-{name}-reset"] = reset
        return headers


def request_cost(body: dict[str, Any], prompt_tokens: int) -> int:
    """Tokens a request counts against the limit: its prompt plus the output it may produce."""
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return prompt_tokens + value
    return prompt_tokens


def go_duration(seconds: float) -> str:
    """*seconds* the way OpenAI's headers and messages write durations: ``"20ms"``, ``"1.5s"``,
    ``"6m0s"``."""
    ms = max(0, round(seconds * 1000))
    if ms < 1000:
        return f"{ms}ms"
    minutes, rest = divmod(ms, 60_000)
    text = f"{rest / 1000:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{minutes}m{text}" if minutes else text


def _rfc3339(epoch: float) -> str:
    moment = _dt.datetime.fromtimestamp(epoch, tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
