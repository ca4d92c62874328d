"""What a token limiter knows of its provider's limits, and what a call is charged.

`Limits` holds, per limit (requests, tokens, output tokens), the limit, the refill rate and the
bucket size, learned from every answer's headers (`_reading`):

- a remaining count with a reset time says ``reset = (bucket - remaining) / rate``: counted
  from when the call went out (never shorter than the server's), each answer bounds the rate from
  below, and the closest of the recent bounds is the rate (so a bucket that refills every 6 s is
  learned as such, whatever ``period`` assumed);
- a remaining count without limit or reset (Azure OpenAI) gives the bucket size (the most ever
  seen before a call took its part) and the refill rate: the slope of ``remaining + what was
  sent so far`` over the send times of the recent answers.

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
_WINDOWS = 10  # windows per period a remaining-only quota is evaluated over (Azure OpenAI)
_MIN_SPAN = 0.5  # seconds of answers a refill learned from remaining counts only spans
_POINTS = 64  # answers kept per limit to learn a refill from
_MIN_POINTS = 4
_NEWS = 0.1  # a learned limit or refill that moved by a tenth is told again
_DATE_RESOLUTION = 0.001  # an RFC 3339 reset's last digit is a millisecond


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
        self._told: tuple[float, ...] = ()  # limits and rates when last told (`told`)
        self._refill = [0.0] * DIMENSIONS  # learned from remaining counts only
        self._levels: list[deque[tuple[float, float]]] = [
            deque(maxlen=_POINTS) for _ in range(DIMENSIONS)
        ]
        self._floor = [0.0] * DIMENSIONS  # the most that ever remained before a call took its part
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
        counters at *sent* at time *at*; True when the first limit became known or a limit or
        refill moved by a tenth or more since they were last told (`told`)."""
        with self.lock:
            self.blind = False
            self.split = reading.split
            for i in range(DIMENSIONS):
                left = reading.remaining[i]
                if left is None:
                    continue
                limit, reset = reading.limit[i], reading.reset[i]
                if limit:
                    self._from_limit(i, limit, left, reset, cost[i], reading.dated)
                else:
                    self._from_remaining(i, left, cost[i], sent, at)
            return self.known() and _moved(self._told, (*self.limit, *self.rate))

    def told(self) -> tuple[Vec3, Vec3]:
        """(limits, refill rates) as of now, remembered as told: later answers are news only
        when they move one of them by a tenth or more."""
        with self.lock:
            self._told = (*self.limit, *self.rate)
            return (
                (self.limit[0], self.limit[1], self.limit[2]),
                (self.rate[0], self.rate[1], self.rate[2]),
            )

    def _from_limit(
        self, i: int, limit: float, left: float, reset: float | None, cost: float, dated: bool
    ) -> None:
        """A full header set: every answer says ``remaining = cap - rate * reset``. The bucket
        is at least the most that remained before a call took its part. Each answer bounds the
        rate from below: the bucket refilled what it lacked (less the unit a remaining count
        rounds off) within its reset counted from the send (plus a dated reset's millisecond,
        which the date may have rounded off), which is never shorter than the server's. The
        answer whose call reached the server soonest gives the closest bound: the rate is the
        largest of the recent answers' bounds, never below the limit per assumed period. (A line
        fitted through them was up to 10% too fast: the delays before the server counted each
        call are not independent of how much it lacked.)"""
        if self.limit[i] != limit:
            self._samples[i].clear()
            self._floor[i] = 0.0
        self.limit[i] = limit
        self._floor[i] = max(self._floor[i], min(limit, left + cost))
        if reset:  # a reset of 0 only says full (maybe a past time read late): no point
            self._samples[i].append((left, reset + (_DATE_RESOLUTION if dated else 0.0)))
        floor = self._floor[i]
        bound = max(((floor - then - 1.0) / late for then, late in self._samples[i]), default=0.0)
        self.rate[i] = max(limit / self.period, bound)
        self.cap[i] = floor if bound > 0 else limit

    def _from_remaining(
        self, i: int, left: float, cost: float, sent: tuple[float, ...] | None, at: float
    ) -> None:
        """Remaining counts only (Azure OpenAI): the bucket is the most that remained before a
        call took its part; the refill is the slope of ``remaining + sent so far`` over the
        send times of the recent answers (a least squares line: the order in which the server
        admitted concurrent calls moves each point up or down, never the slope). Refill lost to
        a full bucket only flattens the line, so the rate is never learned too fast."""
        self.cap[i] = max(self.cap[i], left + cost)
        self.limit[i] = self.cap[i]
        counter = sent[i] if sent is not None and i < len(sent) else None
        points = self._levels[i]
        if counter is not None:
            if points and left + counter < min(total for _, total in points) - self.cap[i]:
                points.clear()  # the storage's counters started again
            points.append((at, left + counter))
        fitted = _slope(points)
        if fitted is not None:
            self._refill[i] = max(fitted, self.cap[i] / self.period)
        # Until the answers span enough time to tell, the bucket is taken to refill within a
        # tenth of the period: Azure OpenAI evaluates per-minute quotas over windows of 1 or
        # 10 seconds. A guess too fast shows as a 429 (the share is cut); one too slow would
        # hold every caller for most of a period.
        self.rate[i] = self._refill[i] or self.cap[i] * _WINDOWS / self.period

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


def _slope(points: deque[tuple[float, float]]) -> float | None:
    """The least squares slope of *points* (time, value); ``None`` while they are too few or
    span less than `_MIN_SPAN` seconds."""
    if len(points) < _MIN_POINTS * 4:
        return None
    times = [at for at, _ in points]
    if max(times) - min(times) < _MIN_SPAN:
        return None
    slope = statistics.linear_regression(times, [value for _, value in points]).slope
    return max(slope, 0.0)


def _moved(before: tuple[float, ...], now: tuple[float, ...]) -> bool:
    """Whether any of *now* differs from *before* by `_NEWS` of the larger or more."""
    if len(before) != len(now):
        return True
    return any(
        abs(new - old) > _NEWS * max(abs(new), abs(old))
        for old, new in zip(before, now, strict=True)
    )


def _average(old: float | None, new: float) -> float:
    return new if old is None else 0.9 * old + 0.1 * new
