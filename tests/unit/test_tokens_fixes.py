"""TokenLimiter: the first answer's refill, the time kept for the call, the refusal's words."""

from __future__ import annotations

import pytest

import resilience_kit as rk
from resilience_kit.testing import no_wait

_BODY = {"model": "m", "messages": [{"role": "user", "content": "x" * 16_000}], "max_tokens": 2000}
_FIRST = {  # a bucket of 10,000 tokens refilled every 6 s, after a call of about 6,000 tokens
    "x-ratelimit-limit-requests": "400",
    "x-ratelimit-remaining-requests": "399",
    "x-ratelimit-reset-requests": "15ms",
    "x-ratelimit-limit-tokens": "10000",
    "x-ratelimit-remaining-tokens": "3992",
    "x-ratelimit-reset-tokens": "3.605s",
}


def test_the_first_answer_alone_tells_the_refill() -> None:
    """A call without an estimate of its own (no arguments) is charged what its request's body
    says: the first answer's ``(bucket - remaining) / reset`` bounds the refill, so the second
    call waits about 1.2 s for its 6,000 tokens, not the 12 s a per-minute refill would take."""
    limiter = rk.TokenLimiter()

    @limiter
    def ask() -> None:
        limiter.observe_request(_BODY)  # what observe() tells it as the request goes out
        limiter.observe_headers(_FIRST)

    with no_wait() as waits:
        ask()
        ask()
    assert 1.0 <= waits.total <= 1.5
    assert limiter.limits == (400.0, 10_000.0)
