"""One admitted call of a token limiter."""

from __future__ import annotations

from dataclasses import dataclass

from resilience_kit._classify import Headers
from resilience_kit._throughput._estimate import Estimate
from resilience_kit._throughput._tokens._learn import Vec3

__all__ = ["Ticket"]


@dataclass(eq=False)
class Ticket:
    """One admitted call: what it was charged, when, and what its answer said."""

    cost: Vec3
    estimate: Estimate | None
    sent: tuple[float, ...] | None  # the storage's sent counters right after its take
    at: float
    probe: bool
    split: bool
    headers: Headers | None = None
    received: float | None = None
    body: Estimate | None = None  # the request's own estimate, read from its body
    usage: tuple[int, int] | None = None  # the answer's usage, read from its body
    settled: bool = False
    order: int = 0  # this process's admissions before it
    alone: bool = False  # no other call of this process was in flight when it went out
