"""The first-attempt-success fast path of the metrics: one C call, no lock, no clock read.

A success at the first attempt is by far the most common call, and ``@retry``'s own cost for it
is about half a microsecond, so even one clock read would add a fifth. So each such call only
pops a token from a pre-filled list (atomic under the GIL, nothing allocated, no comparison:
the ``try`` is free until the list runs dry). The call that finds the list empty reads the
clock, records a sample standing for every call since the previous one (its weight), and
refills the list. Counts and the histogram's total stay exact; latency is timed for every call
up to `TIME_EVERY_CALL_UP_TO`, then for one call in `SAMPLE_EVERY` (an unbiased
sample: which call is timed does not depend on its latency).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from resilience_kit import _clock

__all__ = ["SAMPLE_EVERY", "TIME_EVERY_CALL_UP_TO", "FirstAttemptCounter", "handler", "parts"]

TIME_EVERY_CALL_UP_TO = 1024
SAMPLE_EVERY = 64
_TOKENS = (None,) * (SAMPLE_EVERY - 1)


class FirstAttemptCounter:
    """First-attempt successes of one function not yet folded into its counters.

    ``issued - len(tokens)`` calls took a token since the last take or refill; each sample
    stands for the calls before it that took a token, plus itself.
    """

    __slots__ = ("issued", "samples", "timed_so_far", "tokens")

    def __init__(self) -> None:
        self.tokens: list[None] = []
        self.issued = 0
        self.samples: list[tuple[float, int]] = []
        """(latency, how many calls it stands for) not yet folded."""
        self.timed_so_far = 0

    def take(self) -> tuple[int, list[tuple[float, int]]]:
        """Calls not represented by a sample yet, and the samples (caller holds the lock)."""
        remaining = len(self.tokens)  # tokens taken after this line are counted next time
        untimed, self.issued = self.issued - remaining, remaining
        samples = self.samples[:]
        del self.samples[:]
        return untimed, samples

    def forget(self) -> None:
        """Drop everything not yet folded (``metrics.reset()``, ``metrics.enable()``)."""
        self.take()


def parts(
    counter: FirstAttemptCounter, lock: threading.Lock, fold: Callable[[], None]
) -> tuple[Callable[[], object], Callable[[float], None]]:
    """``(take_token, timed)``: a first-attempt success calls ``take_token()`` and, only when it
    raises ``IndexError`` (no token left), ``timed(start)``.

    The retry core inlines this pair in its plain sync and async wrappers, so the common case
    costs one C call; `handler()` wraps it for the stream wrappers.
    """
    tokens = counter.tokens
    take_token = tokens.pop
    samples = counter.samples
    now = time.monotonic
    overrides = _clock.overrides()

    def timed(start: float) -> None:
        end = now()  # _clock.monotonic() spelled out: time.monotonic plus the no_wait offset
        if overrides:
            end += overrides[-1].offset
        with lock:  # take() and other refills hold it too
            if tokens:  # a racing call refilled meanwhile: take a token like any other call
                try:
                    take_token()
                except IndexError:  # taken by others meanwhile: all consumed, sample below
                    pass
                else:
                    return
            samples.append((end - start, counter.issued + 1))  # all tokens taken, plus this call
            counter.timed_so_far += 1
            if counter.timed_so_far >= TIME_EVERY_CALL_UP_TO:
                tokens.extend(_TOKENS)
                counter.issued = len(_TOKENS)
            else:
                counter.issued = 0  # time every call at first
            full = len(samples) >= 64
        if full:
            fold()

    return take_token, timed


def handler(
    counter: FirstAttemptCounter,
    lock: threading.Lock,
    fold: Callable[[], None],
    succeeded: Callable[[int, float], None] | None,
) -> Callable[[float], None]:
    """The retry core's "first attempt returned" step with metrics on, as one function.

    *succeeded* (the other observers' notification) runs first when given. The metrics part is
    ``tokens.pop()``; only the call that finds no token left goes further.
    """
    take_token, timed = parts(counter, lock, fold)

    if succeeded is None:

        def first_success(start: float) -> None:
            try:
                take_token()
            except IndexError:
                timed(start)

    else:

        def first_success(start: float) -> None:
            succeeded(1, start)
            try:
                take_token()
            except IndexError:
                timed(start)

    return first_success
