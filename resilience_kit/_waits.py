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

A wait that admits a call must also leave the call time to run: a tool that knows how long its
calls take (`Durations`) passes it as *need*, which the deadline and the timeout must cover after
the wait (``max_wait`` bounds only the wait). A call admitted with a sliver of its timeout left
would be cancelled in flight, after the server did (and billed) the work.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from typing import Literal, NamedTuple

from resilience_kit import _call, _clock

__all__ = ["Bound", "BoundBy", "Durations", "bound", "fit"]

BoundBy = Literal["max_wait", "deadline", "timeout", "none"]


class Bound(NamedTuple):
    """The longest a wait may last from now (*seconds*, ``inf`` when unbounded) and what set it;
    *need* is the time kept for the call itself when the deadline or the timeout set it."""

    seconds: float
    by: BoundBy
    need: float = 0.0

    def describe(self) -> str:
        """Words for an error message: ``"max_wait"``, ``"the call's deadline"``, ..."""
        words = {
            "max_wait": "max_wait",
            "deadline": "the call's deadline",
            "timeout": "the attempt's timeout",
            "none": "nothing",
        }[self.by]
        if self.need > 0 and self.by in ("deadline", "timeout"):
            words += f" (keeping {self.need:.3f}s for the call itself)"
        return words


class Durations:
    """How long a tool's recent calls took, from admission to their end: what a wait that admits
    a call must leave for it (`need`). Thread-safe; keeps the last *size* durations."""

    __slots__ = ("_lock", "_recent")

    def __init__(self, size: int = 32) -> None:
        self._recent: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        """Record one call that took *seconds* (negative values, from a clock jump, count 0)."""
        with self._lock:
            self._recent.append(max(seconds, 0.0))

    def need(self) -> float:
        """The time to leave for the next call: the third quartile of the recent durations, so
        most calls admitted with it finish (0.0 before any call ended: nothing is known)."""
        with self._lock:
            recent = sorted(self._recent)
        if not recent:
            return 0.0
        return recent[(3 * len(recent)) // 4 if len(recent) > 1 else 0]


def bound(
    max_wait: float | None = None,
    *,
    waited: float = 0.0,
    ctx: _call.CallContext | None = None,
    now: float | None = None,
    need: float = 0.0,
) -> Bound:
    """The longest a wait starting *now* may last.

    *max_wait* is the tool's own bound on one caller's total wait there (``None``: none), of which
    *waited* seconds are already spent. *ctx* defaults to the current call's context. *need*
    seconds after the wait stay for the call itself within the deadline and the timeout.
    """
    ctx = _call.current() if ctx is None else ctx
    best = Bound(math.inf, "none")
    if max_wait is not None:
        best = Bound(max(max_wait - waited, 0.0), "max_wait")
    if ctx is not None:
        now = _clock.monotonic() if now is None else now
        if ctx.deadline != math.inf:
            left = max(ctx.deadline - now - need, 0.0)
            if left < best.seconds:
                best = Bound(left, "deadline", need)
        if ctx.attempt_deadline != math.inf:
            left = max(ctx.attempt_deadline - now - need, 0.0)
            if left < best.seconds:
                best = Bound(left, "timeout", need)
    return best


def fit(
    wanted: float,
    refuse: Callable[[float, Bound], BaseException],
    max_wait: float | None = None,
    *,
    waited: float = 0.0,
    ctx: _call.CallContext | None = None,
    now: float | None = None,
    need: float = 0.0,
) -> float:
    """*wanted* (seconds, at least 0) if a wait that long fits `bound()`; otherwise raise
    ``refuse(wanted, bound)``, the tool's own error. A tool never starts a wait it cannot finish,
    nor one after which the call would not have the *need* seconds it usually takes."""
    wanted = max(wanted, 0.0)
    limit = bound(max_wait, waited=waited, ctx=ctx, now=now, need=need)
    if wanted > limit.seconds:
        raise refuse(wanted, limit)
    return wanted
