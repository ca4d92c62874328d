"""What one answer's rate-limit headers say, for every header set the providers send.

Three limits: requests, tokens (OpenAI's and Azure's TPM, or Anthropic's *input* tokens) and
output tokens (Anthropic only). Each may come with its limit, what remains and when the bucket is
full again:

- OpenAI: ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}`` (resets as Go durations);
- Azure OpenAI: ``x-ratelimit-remaining-{requests,tokens}`` only (no limit, no reset);
- Anthropic: ``anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,remaining,reset}``
  (resets as RFC 3339 times), and ``anthropic-ratelimit-tokens-*`` (the most restrictive of the
  two) when the split ones are absent.

Limits and remaining values are counts: any size is read as it is (150,000,000 stays that).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from resilience_kit._classify import Headers, parse_go_duration, parse_rfc3339_delay

__all__ = ["DIMENSIONS", "Reading", "parse_count", "read_limits"]

DIMENSIONS = 3  # requests, tokens (or input tokens), output tokens
_MAX_DIGITS = 30

OptVec3 = tuple["float | None", "float | None", "float | None"]

# Per limit, the header sets in order of preference: (limit, remaining, reset, RFC 3339 reset).
_SETS: tuple[tuple[tuple[str, str, str, bool], ...], ...] = (
    (
        ("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
         "x-ratelimit-reset-requests", False),
        ("anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining",
         "anthropic-ratelimit-requests-reset", True),
    ),
    (
        ("x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens",
         "x-ratelimit-reset-tokens", False),
        ("anthropic-ratelimit-input-tokens-limit", "anthropic-ratelimit-input-tokens-remaining",
         "anthropic-ratelimit-input-tokens-reset", True),
        ("anthropic-ratelimit-tokens-limit", "anthropic-ratelimit-tokens-remaining",
         "anthropic-ratelimit-tokens-reset", True),
    ),
    (
        ("anthropic-ratelimit-output-tokens-limit", "anthropic-ratelimit-output-tokens-remaining",
         "anthropic-ratelimit-output-tokens-reset", True),
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Reading:
    """One answer's limits, remaining counts and seconds until full, per limit (``None``: not
    said). *split*: input and output tokens are limited apart (Anthropic), so a call's tokens
    limit counts its prompt only and its ``max_tokens`` counts against the output limit."""

    limit: OptVec3
    remaining: OptVec3
    reset: OptVec3
    split: bool
    dated: bool = False  # the resets were dates (RFC 3339), read as seconds from now


def parse_count(value: str | None) -> float | None:
    """A header's count (``"150000000"``, ``"1.5e3"`` is garbage): a finite number >= 0."""
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > _MAX_DIGITS:
        return None
    try:
        number = float(text) if text.replace(".", "", 1).isdigit() else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def read_limits(headers: Headers, *, sent_ago: float | None = None) -> Reading | None:
    """The limits *headers* (lower-cased, see ``snapshot``) state; ``None`` without any. With
    *sent_ago* (seconds since the call went out), a dated reset is counted from the send: a date
    the answer arrived after still tells how long the bucket took, where counting from now would
    read every reset shorter than the latency as 0."""
    since = None if sent_ago is None else time.time() - sent_ago
    limit: list[float | None] = [None] * DIMENSIONS
    remaining: list[float | None] = [None] * DIMENSIONS
    reset: list[float | None] = [None] * DIMENSIONS
    split = dated = False
    for i, variants in enumerate(_SETS):
        for limit_name, remaining_name, reset_name, rfc3339 in variants:
            left = parse_count(headers.get(remaining_name))
            if left is None:
                continue
            remaining[i] = left
            limit[i] = parse_count(headers.get(limit_name))
            raw = headers.get(reset_name)
            reset[i] = parse_rfc3339_delay(raw, now=since) if rfc3339 else parse_go_duration(raw)
            split = split or "input-tokens" in remaining_name
            dated = dated or rfc3339
            break
    if all(left is None for left in remaining):
        return None
    if remaining[2] is None:
        split = False
    return Reading(
        (limit[0], limit[1], limit[2]),
        (remaining[0], remaining[1], remaining[2]),
        (reset[0], reset[1], reset[2]),
        split,
        dated,
    )
