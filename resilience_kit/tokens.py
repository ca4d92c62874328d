"""Token estimates, beside [`TokenLimiter`][resilience_kit.TokenLimiter].

``TokenLimiter(cost=...)`` takes a function of the decorated call's arguments returning its tokens;
the default is [`estimate_tokens`][resilience_kit.tokens.estimate_tokens]. Reuse it to adjust the
default rather than rewrite it::

    from resilience_kit.tokens import estimate_tokens

    def cost(**kwargs):
        estimate = estimate_tokens(**kwargs)
        return None if estimate is None else estimate.total + 200  # tools' schemas

    limiter = rk.TokenLimiter(tpm=200_000, cost=cost)
"""

from __future__ import annotations

from resilience_kit._throughput import Estimate, estimate_tokens

__all__ = ["Estimate", "estimate_tokens"]
