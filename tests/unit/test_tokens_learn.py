"""Refill rates learned from Anthropic-style headers (RFC 3339 resets), in virtual time."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

import pytest

from resilience_kit import TokenLimiter, _clock, _events
from resilience_kit._classify import snapshot
from resilience_kit._throughput._tokens._core import LimiterCore
from resilience_kit._throughput._tokens._learn import Limits
from resilience_kit._throughput._tokens._reading import Reading
from resilience_kit._throughput._tokens._ticket import Ticket

CAP, RATE, LIMIT = 2_000.0, 20_000 / 6, 20_000.0  # 20,000 per 6 s, a tenth of it deep


def _learned(level_after: float, seed: int) -> tuple[float, float]:
    """(rate, cap) learned for Anthropic's output-tokens limit from 60 answers of calls
    charged 256 tokens each, sent in a stream that keeps the bucket's level about *level_after*
    once each took its part (the first finds it full). Each reset is counted from when its call
    went out, so it is 20-80 ms (the latency) longer than the bucket's."""
    rng = random.Random(seed)
    limits = Limits((None, None), 60.0)
    for n in range(60):
        level = min(max(level_after + rng.uniform(-300.0, 300.0), 0.0), CAP - 256.0)
        level = CAP - 256.0 if n == 0 else level  # the first call finds the bucket full
        reset = (CAP - level) / RATE + rng.uniform(0.02, 0.08)
        reading = Reading(
            (None, None, LIMIT), (None, None, float(int(level))), (None, None, reset), split=True
        )
        limits.learn(reading, (1.0, 40.0, 256.0), None, 0.0)
    return limits.rate[2], limits.cap[2]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("level", [1_744.0, 1_000.0, 300.0])
def test_the_refill_rate_and_bucket_come_from_noisy_resets(level: float, seed: int) -> None:
    """Never faster than the bucket refills, never far slower (a median of pairs of resets,
    whose differences are smaller than the latency, kept the limit per assumed period, 333/s).
    A bucket kept nearly full tells the rate only by single answers, slowed by their latency;
    one that is drawn down gives a line through its answers."""
    rate, cap = _learned(level, seed)
    assert (0.5 if level > 1_500 else 0.8) * RATE <= rate <= RATE * 1.05
    assert 0.8 * CAP <= cap <= CAP


def _azure_rate(seed: int, cap: float, rate: float) -> float:
    """The tokens refill learned from 400 answers carrying Azure OpenAI's remaining-only set.
    Calls of 250-350 tokens go out in a first burst of 20, then in bursts of 8 at 98% of the
    refill; each reaches the server 0-40 ms after it went out, so the server counts them in its
    own order."""
    rng = random.Random(seed)
    limits = Limits((None, None), 60.0)
    sends: list[tuple[float, float, float]] = []  # (sent at, cost, sent counter after it)
    at = total = 0.0
    for n in range(400):
        cost = rng.uniform(250.0, 350.0)
        at += 0.001 if n < 20 or n % 8 else 8 * 300.0 / (0.98 * rate)
        total += cost
        sends.append((at, cost, total))
    admitted = sorted(sends, key=lambda send: send[0] + rng.uniform(0.0, 0.04))
    level, stamp = cap, 0.0
    for sent_at, cost, counter in admitted:
        arrive = max(stamp, sent_at)
        level = min(cap, level + (arrive - stamp) * rate) - cost
        stamp = arrive
        reading = Reading((None, None, None), (None, float(max(int(level), 0)), None),
                          (None, None, None), split=False)  # fmt: skip
        limits.learn(reading, (1.0, cost, 0.0), (0.0, counter, 0.0), sent_at)
    return limits.rate[1]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("cap", "rate"), [(6_000.0, 10_000.0), (60_000.0, 1_000.0)])
def test_the_refill_of_remaining_only_headers_comes_from_the_answers(
    cap: float, rate: float, seed: int
) -> None:
    """Successive remaining counts of concurrent calls are as noisy as the calls between two
    answers are large: the refill is the slope through many answers, neither the median of
    ratios of tiny differences (learned 2-20 times too fast) nor the bucket per period."""
    assert 0.9 * rate <= _azure_rate(seed, cap, rate) <= 1.05 * rate


def _rfc3339(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("burst", [8, 16])
def test_resets_shorter_than_the_latency_still_tell_the_refill(
    burst: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anthropic's requests limit, 60 deep and refilled at 100/s: a missing request is back in
    10 ms, so most answers (20-80 ms after the server counted the call) arrive after their
    reset's date. Counted from the send, each still says how long the bucket took (read
    against the receive time, they said 0 and the rate was learned from the latency). Calls go
    out in bursts of *burst*: 8 keep the bucket nearly full."""
    rng = random.Random(seed)
    cap, rate = 60.0, 100.0
    now = {"mono": 100.0, "wall": 1.8e9}
    monkeypatch.setattr(_clock, "monotonic", lambda: now["mono"])
    monkeypatch.setattr(time, "time", lambda: now["wall"])
    core = LimiterCore(period=60.0)
    level, stamp, sent_at = cap, 0.0, 0.0
    for n in range(300):
        sent_at += 0.0005 if n % burst else burst / (0.9 * rate)  # at 90% of the refill
        arrive = sent_at + rng.uniform(0.0, 0.003)
        level = min(cap, level + (max(arrive, stamp) - stamp) * rate) - 1.0
        stamp = max(arrive, stamp)
        headers = {
            "anthropic-ratelimit-requests-limit": "600",
            "anthropic-ratelimit-requests-remaining": str(max(int(level), 0)),
            "anthropic-ratelimit-requests-reset": _rfc3339(1.8e9 + arrive + (cap - level) / rate),
        }
        late = arrive + rng.uniform(0.02, 0.08) - sent_at
        now["mono"], now["wall"] = 100.0 + sent_at + late, 1.8e9 + sent_at + late
        ticket = Ticket((1.0, 0.0, 0.0), None, None, 100.0 + sent_at, probe=False, split=False)
        core._read(snapshot(headers), ticket)
    assert 0.85 * rate <= core._limits.rate[0] <= 1.02 * rate


def test_tokens_learned_is_told_again_when_the_refill_is_learned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first answer says the limits, and the refill of a full bucket per minute; the
    answers after it show a bucket refilled every 6-7 s: the event comes again with that
    refill, and not for answers that move it by less than a tenth."""
    limiter = TokenLimiter()
    answers = [(9_900, 0.06), (9_000, 0.6), (5_000, 3.0), (8_000, 1.2), (7_000, 1.9)]
    told: list[dict[str, Any]] = []

    def emit(event: str, **fields: Any) -> None:
        if event == "tokens_learned":
            told.append(fields)

    monkeypatch.setattr(_events, "emit", emit)  # what the application's log would receive
    for left, reset in answers:
        limiter.observe_headers({
            "x-ratelimit-limit-requests": "100",
            "x-ratelimit-remaining-requests": "99",
            "x-ratelimit-reset-requests": "600ms",
            "x-ratelimit-limit-tokens": "10000",
            "x-ratelimit-remaining-tokens": str(left),
            "x-ratelimit-reset-tokens": f"{reset}s",
        })  # fmt: skip
    assert [60.0, pytest.approx(6.67, abs=0.01)] == [event["period"] for event in told]
    assert [167, 1_498] == [round(event["tokens_per_second"]) for event in told]


def test_a_bucket_kept_empty_keeps_its_size_and_refill() -> None:
    """Anthropic's output tokens (20,000 refilled in 6 s) drawn down at once and then kept
    nearly empty for 200 answers: the bucket is still 20,000 and refills at 3,333/s (the
    most that remained among the recent answers alone said 2,000-5,000, and the refill with
    it)."""
    rng = random.Random(3)
    limits = Limits((None, None), 60.0)
    rate = 20_000 / 6
    for n in range(220):
        level = 20_000.0 - 256.0 * (n + 1) if n < 20 else rng.uniform(100.0, 700.0)
        reading = Reading((None, None, 20_000.0), (None, None, float(int(level))),
                          (None, None, (20_000.0 - level) / rate + 0.01), split=True)  # fmt: skip
        limits.learn(reading, (1.0, 40.0, 256.0), None, 0.0)
    assert 20_000.0 == limits.cap[2]
    assert 0.97 * rate <= limits.rate[2] <= rate
