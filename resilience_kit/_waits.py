"""The one wait rule (L0): how long any wait the kit adds may last.

Every tool that makes a caller wait (the rate-limit gate, the token limiter, the adaptive limiter,
the bulkhead, retry sleeps, the breaker-aware retry) asks `bound()` or `fit()` and nothing else.
A wait is bounded by, whichever ends first:

- the tool's own ``max_wait`` (minus what this caller already waited at that tool);
- the call's deadline (``CallContext.deadline``: the retry deadline);
- the current attempt's timeout (``CallContext.attempt_deadline``).

When the wait a tool wants does not fit, `fit()` raises the tool's own error, built by the
tool's *refuse* callable from the wanted wait and the `Bound` that stopped it: one error shape per
tool, one rule for all of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, NamedTuple

from resilience_kit import _call, _clock

__all__ = ["Bound", "BoundBy", "bound", "fit"]

BoundBy = Literal["max_wait", "deadline", "timeout", "none"]


class Bound(NamedTuple):
    """The longest a wait may last from now (*seconds*, ``inf`` when unbounded) and what set it."""

    seconds: float
    by: BoundBy

    def describe(self) -> str:
        """Words for an error message: ``"max_wait"``, ``"the call's deadline"``, ..."""
        return {
            "max_wait": "max_wait",
            "deadline": "the call's deadline",
            "timeout": "the attempt's timeout",
            "none": "nothing",
        }[self.by]


def bound(
    max_wait: float | None = None,
    *,
    waited: float = 0.0,
    ctx: _call.CallContext | None = None,
    now: float | None = None,
) -> Bound:
    """The longest a wait starting *now* may last.

    *max_wait* is the tool's own bound on one caller's total wait there (``None``: none), of which
    *waited* seconds are already spent. *ctx* defaults to the current call's context.
    """
    ctx = _call.current() if ctx is None else ctx
    best = Bound(math.inf, "none")
    if max_wait is not None:
        best = Bound(max(max_wait - waited, 0.0), "max_wait")
    if ctx is not None:
        now = _clock.monotonic() if now is None else now
        if ctx.deadline != math.inf:
            left = max(ctx.deadline - now, 0.0)
            if left < best.seconds:
                best = Bound(left, "deadline")
        if ctx.attempt_deadline != math.inf:
            left = max(ctx.attempt_deadline - now, 0.0)
            if left < best.seconds:
                best = Bound(left, "timeout")
    return best


def fit(
    wanted: float,
    refuse: Callable[[float, Bound], BaseException],
    max_wait: float | None = None,
    *,
    waited: float = 0.0,
    ctx: _call.CallContext | None = None,
    now: float | None = None,
) -> float:
    """*wanted* (seconds, at least 0) if a wait that long fits `bound()`; otherwise raise
    ``refuse(wanted, bound)``, the tool's own error. A tool never starts a wait it cannot finish."""
    wanted = max(wanted, 0.0)
    limit = bound(max_wait, waited=waited, ctx=ctx, now=now)
    if wanted > limit.seconds:
        raise refuse(wanted, limit)
    return wanted
