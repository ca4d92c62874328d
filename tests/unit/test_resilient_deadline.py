"""Inside resilient(), time queued at the gate or limiter counts against deadline and timeout."""

from __future__ import annotations

import pytest

import resilience_kit as rk
from resilience_kit import BulkheadFullError, GateClosedError, _call
from resilience_kit.testing import no_wait


def test_gate_queue_time_counts_against_the_retry_deadline() -> None:
    """interactive with deadline=1 and a gate closed for 3 s gives up at once, not after 3 s."""
    gate = rk.RateLimitGate("deadline-gate")
    gate.storage.gate_extend(gate.name, 3.0)
    calls = 0

    @rk.resilient("interactive", deadline=1.0, gate=gate)
    def ask() -> str:
        nonlocal calls
        calls += 1
        return "ok"

    with no_wait() as waits, pytest.raises(GateClosedError):
        ask()
    assert 0 == calls
    assert waits.total <= 1.0


async def test_gate_queue_time_counts_against_timeout() -> None:
    """With timeout=0.5 an attempt never queues 2 s at the gate: it fails at once."""
    gate = rk.RateLimitGate("timeout-gate")
    gate.storage.gate_extend(gate.name, 2.0)

    @rk.resilient(timeout=0.5, gate=gate, max_attempts=1)
    async def ask() -> str:
        return "ok"

    with no_wait() as waits, pytest.raises(GateClosedError):
        await ask()
    assert [] == waits.sleeps


def test_limiter_queue_is_cut_at_the_deadline() -> None:
    """A full limiter does not hold a caller past its call's deadline (max_wait=None)."""
    limiter = rk.AdaptiveLimiter(initial=1, min=1, max=1)
    with limiter, _call.bounded(0.0), pytest.raises(BulkheadFullError), limiter:
        pass


def test_calls_without_a_deadline_are_unbounded() -> None:
    """Outside any bound there is no deadline: the gate only checks max_wait."""
    assert float("inf") == _call.time_left()
    gate = rk.RateLimitGate("open-gate")
    gate.storage.gate_extend(gate.name, 2.0)
    with no_wait() as waits, gate:
        pass
    assert [2.0] == [round(wait, 1) for wait in waits.sleeps]
