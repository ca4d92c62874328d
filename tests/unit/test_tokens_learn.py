"""Refill rates learned from Anthropic-style headers (RFC 3339 resets), in virtual time."""

from __future__ import annotations

import random

import pytest

from resilience_kit._throughput._tokens._learn import Limits
from resilience_kit._throughput._tokens._reading import Reading

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
