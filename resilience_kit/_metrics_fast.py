"""The first-attempt-success fast path of the metrics: no lock, no allocation, no clock read.

A success at the first attempt is by far the most common call, and ``@retry``'s own cost for it
is about half a microsecond, so even one clock read would add a fifth. So each such call only
appends ``None`` to a short list (atomic under the GIL; ``len`` of a list this short is a cached
small int, so nothing is allocated). When the list reaches the sampling interval, that call reads
the clock and the calls in the list are folded into the counters, the timed latency standing
for all of them in the histogram (weight = their number). Counts and the histogram's total stay
exact; latency is timed for every call up to :data:`TIME_EVERY_CALL_UP_TO`, then for one call in
:data:`SAMPLE_EVERY` (an unbiased sample: which call is timed does not depend on its latency).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from resilience_kit import _clock

__all__ = ["SAMPLE_EVERY", "TIME_EVERY_CALL_UP_TO", "FirstAttemptCounter", "handler"]

TIME_EVERY_CALL_UP_TO = 1024
SAMPLE_EVERY = 64  # <= 256, so len() of the pending list stays a cached small int


class FirstAttemptCounter:
    """First-attempt successes of one function waiting to be folded into its counters."""

    __slots__ = ("pending", "samples", "timed_so_far")

    def __init__(self) -> None:
        self.pending: list[None] = []
        """One ``None`` per first-attempt success not yet folded."""
        self.samples: list[tuple[float, int]] = []
        """(latency, how many calls it stands for) not yet folded."""
        self.timed_so_far = 0

    def take(self) -> tuple[int, list[tuple[float, int]]]:
        """Calls not yet sampled, and the samples (caller holds the recorder's lock)."""
        n = len(self.pending)
        del self.pending[:n]  # appends made meanwhile stay for next time
        samples = self.samples[:]
        del self.samples[:]
        return n, samples

    def forget(self) -> None:
        """Drop everything not yet folded (``metrics.reset()``)."""
        self.take()


def handler(
    counter: FirstAttemptCounter,
    lock: threading.Lock,
    fold: Callable[[], None],
    succeeded: Callable[[int, float], None] | None,
) -> Callable[[float], None]:
    """The retry core's "first attempt returned" step with metrics on.

    *succeeded* (the other observers' notification) runs first when given. The metrics part is
    ``pending.append(None)`` and one ``len`` comparison, except for the timed call.
    """
    pending = counter.pending
    append = pending.append
    samples = counter.samples
    now = time.monotonic
    overrides = _clock.overrides()
    due = 1  # time every call at first

    def timed(start: float) -> None:
        nonlocal due
        end = now()  # _clock.monotonic() spelled out: time.monotonic plus the no_wait offset
        if overrides:
            end += overrides[-1].offset
        with lock:  # the only other consumer of ``pending`` (take) holds it too
            n = len(pending)
            del pending[:n]  # these n calls (this one included) are represented by the sample
            if n:  # 0 when a racing thread's sample already took this call
                samples.append((end - start, n))
                counter.timed_so_far += 1
            full = len(samples) >= 64
        if counter.timed_so_far >= TIME_EVERY_CALL_UP_TO:
            due = SAMPLE_EVERY
        if full:
            fold()

    if succeeded is None:

        def first_success(start: float) -> None:
            append(None)
            if len(pending) >= due:
                timed(start)

    else:

        def first_success(start: float) -> None:
            succeeded(1, start)
            append(None)
            if len(pending) >= due:
                timed(start)

    return first_success
