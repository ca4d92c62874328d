"""What a token limiter knows of its provider's limits, and what a call is charged.

`Limits` holds, per limit (requests, tokens, output tokens), the limit, the refill rate and the
bucket size, learned from every answer's headers (`_reading`):

- a remaining count with a reset time says ``reset = (bucket - remaining) / rate``; a line
  fitted through the recent answers gives the refill rate and the bucket size (so a bucket that
  refills every 6 s is learned as such, whatever ``period`` assumed), and a reset's noise (an
  RFC 3339 time read against the receive time) averages out;
- a remaining count without limit or reset (Azure OpenAI) gives the bucket size (the most ever
  seen before a call took its part) and the refill rate from successive answers:
  ``(remaining now - remaining before + what was sent in between) / time in between``.

`Charges` turns a call's `Estimate` into what the provider counts at admission: OpenAI and Azure
count the prompt plus ``max_tokens`` whatever the answer uses; Anthropic counts the prompt against
the input limit and ``max_tokens`` against the output limit until the answer says how many it
used. The answer's ``usage`` corrects only what the provider measures: the prompt's tokens per
estimated token, learned apart for each call shape (text, images, tools, system prompts).
"""

from __future__ import annotations

import math
import statistics
import threading
from collections import deque

from resilience_kit._throughput._estimate import Estimate
from resilience_kit._throughput._tokens._reading import DIMENSIONS, Reading

__all__ = ["Charges", "Limits", "Vec3"]

Vec3 = tuple[float, float, float]
_SHARE_CUT = 0.9  # an unpredicted 429 uses 10% less of the budget
_SHARE_GROWTH = 0.002  # each success takes back 0.2 percentage points
_MIN_SHARE = 0.02
_PAIRS = 9  # refill estimates kept per limit (remaining-only headers)
_POINTS = 64  # (remaining, reset) points kept per limit for the fitted line
_MIN_POINTS = 4
_MIN_CORRELATION = -0.5  # remaining values must fall as resets grow
_MIN_SPREAD = 0.2  # remaining values must spread over 20% of the largest to tell a slope


class Limits:
    """Limits, refill rates and bucket sizes per limit; thread-safe."""

    def __init__(self, declared: tuple[float | None, float | None], period: float) -> None:
        self.period = period
        self.lock = threading.Lock()
        self.limit = [declared[0] or 0.0, declared[1] or 0.0, 0.0]
        self.rate = [limit / period for limit in self.limit]
        self.cap = list(self.limit)
        self.declared = any(value is not None for value in declared)
        self.split = False
        self.blind = False  # answers carry no rate-limit headers: stand aside
        self.share = 1.0
        self.last_cut = -math.inf
        self._seen: list[tuple[float, float, float] | None] = [None] * DIMENSIONS
        self._refills: list[deque[float]] = [deque(maxlen=_PAIRS) for _ in range(DIMENSIONS)]
        self._floors: list[deque[float]] = [deque(maxlen=_POINTS) for _ in range(DIMENSIONS)]
        self._samples: list[deque[tuple[float, float]]] = [
            deque(maxlen=_POINTS) for _ in range(DIMENSIONS)
        ]

    def known(self) -> bool:
        return any(rate > 0 for rate in self.rate)

    def shape(self) -> tuple[Vec3, Vec3]:
        """(rates, caps) at the current share."""
        with self.lock:
            share = self.share
            rate = self.rate
            cap = self.cap
            return (
                (rate[0] * share, rate[1] * share, rate[2] * share),
                (cap[0] * share, cap[1] * share, cap[2] * share),
            )

    def learn(
        self, reading: Reading, cost: Vec3, sent: tuple[float, ...] | None, at: float
    ) -> bool:
        """Take in one answer's *reading* for a call charged *cost* whose take left the ``sent``
        counters at *sent* at time *at*; True when the first limit became known."""
        with self.lock:
            first = not self.known()
            self.blind = False
            self.split = reading.split
            for i in range(DIMENSIONS):
                left = reading.remaining[i]
                if left is None:
                    continue
                limit, reset = reading.limit[i], reading.reset[i]
                if limit:
                    self._from_limit(i, limit, left, reset, cost[i])
                else:
                    self._from_remaining(i, left, cost[i], sent, at)
            return first and self.known()

    def _from_limit(
        self, i: int, limit: float, left: float, reset: float | None, cost: float
    ) -> None:
        """A full header set: every answer says ``remaining = cap - rate * reset``. The bucket
        is at least the most that remained before a call took its part; a line through the
        recent (remaining, reset) points gives the rate (its slope), so the noise of one reset
        (an RFC 3339 time read against the receive time) averages out instead of being divided
        by the small difference of two. Until the points spread, each answer alone bounds the
        rate from below (``(bucket - remaining) / reset``, the median of the recent answers);
        never below the limit per assumed period."""
        if self.limit[i] != limit:
            self._samples[i].clear()
            self._floors[i].clear()
        self.limit[i] = limit
        self._floors[i].append(min(limit, left + cost))
        if reset:  # a reset of 0 only says full (maybe a past time read late): no point
            self._samples[i].append((left, reset))
        floor = max(self._floors[i])
        rates = [(floor - then) / reset for then, reset in self._samples[i] if floor > then]
        fitted = _fit(self._samples[i])
        if fitted is None:
            fitted = statistics.median(rates) if rates else 0.0
        self.rate[i] = max(limit / self.period, fitted)
        self.cap[i] = floor if rates else limit

    def _from_remaining(
        self, i: int, left: float, cost: float, sent: tuple[float, ...] | None, at: float
    ) -> None:
        self.cap[i] = max(self.cap[i], left + cost)
        self.limit[i] = self.cap[i]
        counter = sent[i] if sent is not None and i < len(sent) else None
        before = self._seen[i]
        if counter is not None:
            if before is not None and at - before[0] > 0:
                refill = (left - before[2] + counter - before[1]) / (at - before[0])
                if refill > 0:
                    self._refills[i].append(refill)
            if before is None or at >= before[0]:
                self._seen[i] = (at, counter, left)
        learned = statistics.median(self._refills[i]) if len(self._refills[i]) >= 3 else 0.0
        self.rate[i] = max(self.cap[i] / self.period, learned)

    def cut(self, sent_at: float, now: float) -> None:
        """An unpredicted 429 of a call sent at *sent_at*: use less of the budget (once per
        change)."""
        with self.lock:
            if sent_at > self.last_cut:
                self.share = max(_MIN_SHARE, self.share * _SHARE_CUT)
                self.last_cut = now

    def grow(self) -> None:
        with self.lock:
            if self.share < 1.0:
                self.share = min(1.0, self.share + _SHARE_GROWTH)


class Charges:
    """What a call is charged, and the prompt's tokens per estimated token per call shape."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.scales: dict[str, float] = {}
        self.charge: float | None = None  # tokens an unestimated call counts (moving average)
        self.prompt: float | None = None
        self.output: float | None = None

    def cost(self, estimate: Estimate | None, split: bool, per_request: float) -> Vec3:
        """(1 request, tokens, output tokens) as the provider counts them at admission."""
        with self.lock:
            if estimate is None:
                if split:
                    return 1.0, self.prompt or per_request, self.output or 0.0
                return 1.0, self.charge if self.charge is not None else per_request, 0.0
            prompt = estimate.prompt * self.scales.get(estimate.shape, 1.0)
            output = float(estimate.output) if estimate.output is not None else self.output or 0.0
            if split:
                return 1.0, prompt, output
            return 1.0, prompt + output, 0.0

    def seen(self, estimate: Estimate, split: bool) -> None:
        """A request's body was seen going out: what such calls are charged."""
        cost = self.cost(estimate, split, 0.0)
        with self.lock:
            self.charge = _average(self.charge, cost[1] + cost[2])
            if estimate.output is not None:  # max_tokens given where the caller's were not
                self.output = _average(self.output, estimate.output)

    def used(self, estimate: Estimate | None, prompt: int, output: int, split: bool) -> Vec3:
        """An answer's usage: learn from it; what the provider counted for the call."""
        with self.lock:
            if estimate is not None and estimate.prompt > 0 and prompt > 0:
                ratio = min(max(prompt / estimate.prompt, 0.05), 50.0)
                scale = self.scales.get(estimate.shape, 1.0)
                self.scales[estimate.shape] = 0.7 * scale + 0.3 * ratio
            counted_output = output
            if not split and estimate is not None and estimate.output is not None:
                counted_output = estimate.output  # counted at admission whatever was used
            self.prompt = _average(self.prompt, prompt)
            self.output = _average(self.output, counted_output)
            if split:
                return 1.0, float(prompt), float(output)
            total = float(prompt + counted_output)
            self.charge = _average(self.charge, total)
            return 1.0, total, 0.0


def _fit(points: deque[tuple[float, float]]) -> float | None:
    """The rate of the line ``remaining = cap - rate * reset`` through *points*; ``None``
    while they are too few, too close together or too scattered to tell. The slope is the ratio
    of the two spreads (a reduced major axis line): a least squares slope either way would be
    biased by the noise of the resets, one way or the other."""
    if len(points) < _MIN_POINTS:
        return None
    lefts = [left for left, _ in points]
    resets = [reset for _, reset in points]
    if max(lefts) - min(lefts) < max(_MIN_SPREAD * max(lefts), 1.0):
        return None
    spread = statistics.pstdev(resets)
    if spread <= 0 or statistics.correlation(lefts, resets) > _MIN_CORRELATION:
        return None
    return statistics.pstdev(lefts) / spread


def _average(old: float | None, new: float) -> float:
    return new if old is None else 0.9 * old + 0.1 * new
