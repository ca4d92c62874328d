"""The fake server's provider-style limits: requests and tokens per period, refilled continuously.

Charged as each provider charges: OpenAI and Azure OpenAI count a request's prompt tokens plus
``max_tokens`` at admission, whatever the answer uses; Anthropic with an output limit counts the
prompt against the input-tokens limit and ``max_tokens`` against the output-tokens limit, then
gives back what the answer did not use. Every answer carries its provider's rate-limit headers
(OpenAI's full set, Azure's remaining-only set, or Anthropic's), and an empty bucket answers 429
with a whole-second ``retry-after`` and, for OpenAI, the body's "Please try again in 500ms".
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
from resilience_kit.testing._output import requested_output

__all__ = ["Admission", "Buckets", "RateLimits", "go_duration", "request_cost"]

LimitKind = Literal["requests", "tokens", "output"]


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Limits of a `FakeLLMServer`: *requests* and *tokens* per *period* seconds.

    ``period=60`` is a provider's RPM/TPM; a shorter period scales time down for fast tests and
    benchmarks (the headers then count per period). Each bucket holds *depth* seconds of quota
    (default: the whole period, as the providers do) and refills continuously. ``None`` leaves
    that limit off. *output_tokens* is Anthropic's output-tokens limit: with it, Anthropic
    requests count their prompt against *tokens* (the input limit) and ``max_tokens`` against
    it. *headers* ``"remaining"`` answers OpenAI-style requests with Azure OpenAI's set
    (``x-ratelimit-remaining-requests``/``-tokens`` only: no limit, no reset).
    """

    requests: int | None = None
    tokens: int | None = None
    period: float = 60.0
    depth: float | None = None
    output_tokens: int | None = None
    headers: Literal["full", "remaining"] = "full"

    def __post_init__(self) -> None:
        if self.headers not in {"full", "remaining"}:
            raise ConfigurationError(
                "headers", f"must be 'full' or 'remaining', got {self.headers!r}"
            )
        for name in ("requests", "tokens", "output_tokens"):
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
        self.period = period
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
        self.output = (
            None
            if limits.output_tokens is None
            else _Bucket(limits.output_tokens, limits.period, depth)
        )

    def admit(
        self, provider: Provider, model: str, body: dict[str, Any], prompt: int, used: int = 0
    ) -> Admission:
        """Admit a request of *prompt* tokens (its ``max_tokens`` read from *body*) whose answer
        uses *used* output tokens, or answer why not."""
        most = max_output(body)
        split = provider == "anthropic" and self.output is not None
        costs: dict[LimitKind, tuple[_Bucket | None, int]] = {
            "requests": (self.requests, 1),
            "tokens": (self.tokens, prompt if split else prompt + most),
            "output": (self.output if split else None, most),
        }
        now = _clock.monotonic()
        waits: dict[LimitKind, float] = {}
        for kind, (bucket, amount) in costs.items():
            if bucket is not None:
                bucket.refill(now)
                waits[kind] = bucket.wait(amount)
        wait = max(waits.values())
        if wait <= 0:
            for bucket, amount in costs.values():
                if bucket is not None:
                    bucket.level -= min(amount, bucket.capacity)
            headers = self._headers(provider)
            if split and self.output is not None:  # what the answer did not use comes back
                give_back = max(most - used, 0)
                self.output.level = min(self.output.capacity, self.output.level + give_back)
            return Admission(headers, None)
        kind = max(waits, key=lambda name: waits[name])
        headers = self._headers(provider)
        headers["retry-after"] = str(max(1, math.ceil(wait)))
        amount = costs[kind][1]
        return Admission(headers, self._fault(provider, kind, model, amount, wait, headers))

    def _fault(
        self,
        provider: Provider,
        kind: LimitKind,
        model: str,
        cost: int,
        wait: float,
        headers: dict[str, str],
    ) -> Fault:
        bucket = {"tokens": self.tokens, "output": self.output}.get(kind, self.requests)
        assert bucket is not None  # the kind that made the wait
        used = math.ceil(bucket.capacity - bucket.level)
        amount = cost
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
        what = {"tokens": "input tokens", "output": "output tokens"}.get(kind, "requests")
        return Fault.status(
            429,
            headers=headers,
            type="rate_limit_error",
            message=(
                f"This request would exceed the rate limit for your organization of "
                f"{bucket.limit} {what} per {_span(bucket.period)}."
            ),
        )

    def _headers(self, provider: Provider) -> dict[str, str]:
        if provider == "anthropic":
            return self._anthropic_headers()
        headers: dict[str, str] = {}
        for kind, bucket in (("requests", self.requests), ("tokens", self.tokens)):
            if bucket is None:
                continue
            headers[f"x-ratelimit-remaining-{kind}"] = _remaining(bucket)
            if self.limits.headers == "full":
                headers[f"x-ratelimit-limit-{kind}"] = str(bucket.limit)
                headers[f"x-ratelimit-reset-{kind}"] = go_duration(bucket.reset())
        return headers

    def _anthropic_headers(self) -> dict[str, str]:
        split = self.output is not None
        names: list[tuple[str, _Bucket | None]] = [("requests", self.requests)]
        if split:
            names += [("input-tokens", self.tokens), ("output-tokens", self.output)]
            tightest = min(
                (bucket for bucket in (self.tokens, self.output) if bucket is not None),
                key=lambda bucket: bucket.level / bucket.capacity,
            )
            names.append(("tokens", tightest))
        else:
            names += [("tokens", self.tokens), ("input-tokens", self.tokens)]
        headers: dict[str, str] = {}
        for name, bucket in names:
            if bucket is None:
                continue
            headers[f"anthropic-ratelimit-{name}-limit"] = str(bucket.limit)
            headers[f"anthropic-ratelimit-{name}-remaining"] = _remaining(bucket)
            headers[f"anthropic-ratelimit-{name}-reset"] = _rfc3339(time.time() + bucket.reset())
        return headers


def _remaining(bucket: _Bucket) -> str:
    return str(max(0, math.floor(bucket.level)))


def _span(period: float) -> str:
    """A limit's period in a 429's words: "minute" as the providers say, else the seconds."""
    return "minute" if period == 60 else f"{period:g} seconds"


def max_output(body: dict[str, Any]) -> int:
    """The output a request may produce: its ``max_completion_tokens`` or ``max_tokens`` (or
    where its API puts them: `requested_output()`), 0 when it names none."""
    return requested_output(body) or 0


def request_cost(body: dict[str, Any], prompt_tokens: int) -> int:
    """Tokens a request counts against an OpenAI-style limit: its prompt plus the output it may
    produce."""
    return prompt_tokens + max_output(body)


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
