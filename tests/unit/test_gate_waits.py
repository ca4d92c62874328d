"""The one wait rule: gate, limiter, bulkhead and timeout are bounded by max_wait, the call's
deadline and the attempt's timeout, and their errors say which bound stopped the wait."""

from __future__ import annotations

import asyncio

import pytest

import resilience_kit as rk
from resilience_kit import BulkheadFullError, CallTimeoutError, GateClosedError, _call
from resilience_kit.storage import GateStore
from resilience_kit.testing import no_wait
from tests.unit.throughput_helpers import fake_errors, rate_limited


def closed_gate(name: str, seconds: float, max_wait: float = 60.0) -> rk.RateLimitGate:
    gate = rk.RateLimitGate(name, pace=False, max_wait=max_wait)
    gate.storage.gate_extend(gate.name, seconds)
    return gate


def test_gate_error_names_max_wait() -> None:
    """A block longer than max_wait fails at once, and the message says max_wait stopped it."""
    gate = closed_gate("own-bound", 5.0, max_wait=1.0)
    with no_wait() as waits, pytest.raises(GateClosedError) as caught, gate:
        pass
    assert [] == waits.sleeps
    assert caught.value.retry_after == pytest.approx(5.0, abs=0.05)
    assert "max_wait" in str(caught.value)


def test_gate_error_names_the_call_deadline() -> None:
    """Inside resilient(deadline=1) a 3 s block fails at once: "the call's deadline"."""
    gate = closed_gate("deadline-bound", 3.0)

    @rk.resilient(deadline=1.0, gate=gate, max_attempts=1)
    def ask() -> str:
        return "ok"

    with no_wait() as waits, pytest.raises(GateClosedError) as caught:
        ask()
    assert [] == waits.sleeps
    assert "the call's deadline" in str(caught.value)


async def test_timeout_over_gate_bounds_the_gate_wait() -> None:
    """Hand-stacked @timeout(0.5) over @gate: the gate sees the attempt's timeout and refuses
    a 2 s block instead of sleeping through it."""
    gate = closed_gate("timeout-bound", 2.0)
    calls = 0

    @rk.timeout(0.5)
    @gate
    async def ask() -> str:
        nonlocal calls
        calls += 1
        return "ok"

    with no_wait() as waits, pytest.raises(GateClosedError) as caught:
        await ask()
    assert (0, []) == (calls, waits.sleeps)
    assert "the attempt's timeout" in str(caught.value)


def test_gate_outside_retry_sees_no_retry_deadline() -> None:
    """Hand-stacked @gate over @retry(deadline=1): the retry's deadline starts inside the gate,
    so the gate waits out a 3 s block (bounded by its own max_wait only)."""
    gate = closed_gate("outside", 3.0)

    @gate
    @rk.retry(deadline=1.0)
    def ask() -> str:
        return "ok"

    with no_wait() as waits:
        assert "ok" == ask()
    assert [pytest.approx(3.0, abs=0.05)] == waits.sleeps


def test_retry_over_gate_shares_the_retry_deadline() -> None:
    """Hand-stacked @retry(deadline=1) over @gate: the gate inside sees the retry's deadline and
    refuses a 3 s block at once instead of sleeping past it."""
    gate = closed_gate("inside", 3.0)

    @rk.retry(deadline=1.0, max_attempts=1)
    @gate
    def ask() -> str:
        return "ok"

    with no_wait() as waits, pytest.raises(GateClosedError) as caught:
        ask()
    assert [] == waits.sleeps
    assert "the call's deadline" in str(caught.value)


def test_limiter_error_names_the_call_deadline() -> None:
    """A full limiter (max_wait=None) in a call whose deadline is spent fails at once, naming
    the deadline, instead of queueing without end."""
    limiter = rk.AdaptiveLimiter(initial=1, min=1, max=1)
    with limiter, _call.opened(0.0), pytest.raises(BulkheadFullError) as caught, limiter:
        pass
    assert "the call's deadline" in str(caught.value)


async def test_bulkhead_wait_is_cut_by_the_attempt_timeout() -> None:
    """A full bulkhead with max_wait=60 in an attempt out of time refuses at once, naming the
    attempt's timeout (it used to queue for max_wait)."""
    guard = rk.bulkhead(1, max_wait=60.0)
    async with guard:
        with _call.bounded(0.0), pytest.raises(BulkheadFullError) as caught:
            async with guard:
                pass
    assert "the attempt's timeout" in str(caught.value)


async def test_timeout_inside_a_spent_deadline_names_it() -> None:
    """@timeout inside a call whose deadline is spent fails at once, naming the deadline."""

    @rk.timeout(5.0)
    async def ask() -> str:
        return "ok"

    with _call.opened(0.0), pytest.raises(CallTimeoutError) as caught:
        await ask()
    assert "the call's deadline" in str(caught.value)


class SlowStore(GateStore):
    """A gate store whose async write waits for *release* (a slow Redis round trip)."""

    def __init__(self) -> None:
        self.blocks: dict[str, float] = {}
        self.writing = asyncio.Event()
        self.release = asyncio.Event()

    def gate_extend(self, name: str, seconds: float) -> float:
        self.blocks[name] = max(self.blocks.get(name, 0.0), seconds)
        return self.blocks[name]

    def gate_remaining(self, name: str) -> float:
        return self.blocks.get(name, 0.0)

    async def agate_extend(self, name: str, seconds: float) -> float:
        self.writing.set()
        await self.release.wait()
        return self.gate_extend(name, seconds)


async def test_a_cancelled_caller_still_writes_the_block_its_429_earned() -> None:
    """A caller cancelled (wait_for, a task group) while its 429's block is being written to
    storage: the write still ends, so every other caller is held back."""
    store = SlowStore()
    gate = rk.RateLimitGate("slow", storage=store, pace=False)

    async def ask() -> None:
        with fake_errors():
            async with gate:
                raise rate_limited(5.0)

    caller = asyncio.ensure_future(ask())
    await store.writing.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    store.release.set()
    for _ in range(3):
        await asyncio.sleep(0)
    assert 5.0 == store.gate_remaining("slow")
