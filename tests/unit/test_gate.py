"""RateLimitGate: one server hint holds back every later caller; pacing after a 429."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from resilience_kit import (
    ConfigurationError,
    ErrorCategory,
    GateClosedError,
    RateLimitGate,
    _clock,
    classify,
)
from resilience_kit._throughput._gate import _Pacer
from resilience_kit.storage import MemoryStorage
from resilience_kit.testing import no_wait
from tests.unit.throughput_helpers import FakeAPIError, fake_errors, rate_limited


@pytest.fixture(autouse=True)
def _fakes() -> Iterator[None]:
    with fake_errors():
        yield


def test_hint_blocks_the_next_call() -> None:
    """After a 429 with retry-after 5, the next call sleeps 5 s before it runs."""
    gate = RateLimitGate("api", pace=False)
    with no_wait() as waits, capture_logs() as logs:
        with pytest.raises(FakeAPIError), gate:
            raise rate_limited(5.0)
        with gate:
            pass
    assert [pytest.approx(5.0, abs=0.01)] == waits.sleeps
    assert ["gate_waiting"] == [e["event"] for e in logs if e["event"] == "gate_waiting"]


async def test_hint_blocks_the_next_async_call() -> None:
    """The async path waits with the kit's async sleep (the loop keeps running)."""
    gate = RateLimitGate("api", pace=False)
    with no_wait() as waits:
        with pytest.raises(FakeAPIError):
            async with gate:
                raise rate_limited(3.0)
        async with gate:
            pass
    assert [pytest.approx(3.0, abs=0.01)] == waits.sleeps


@pytest.mark.parametrize(
    "error",
    [rate_limited(None), FakeAPIError(ErrorCategory.SERVER, 5.0), ValueError("bug")],
)
def test_only_rate_limits_with_a_hint_close_the_gate(error: Exception) -> None:
    """No hint, another category or an unknown error leave the gate open."""
    gate = RateLimitGate("api")
    with pytest.raises(type(error)), gate:
        raise error
    assert 0.0 == gate.remaining()


def test_decorator_keeps_results_and_blocks() -> None:
    """As a decorator the gate returns the function's result and waits after a hint."""
    gate = RateLimitGate("api", pace=False)
    calls: list[int] = []

    @gate
    def call(n: int) -> int:
        calls.append(n)
        if n == 0:
            raise rate_limited(2.0)
        return n * 10

    with no_wait() as waits:
        with pytest.raises(FakeAPIError):
            call(0)
        assert 10 == call(1)
    assert [pytest.approx(2.0, abs=0.01)] == waits.sleeps
    assert [0, 1] == calls


def test_wait_beyond_max_wait_raises_at_once() -> None:
    """A block longer than max_wait raises GateClosedError (RATE_LIMIT, with the hint)."""
    gate = RateLimitGate("api", max_wait=1.0)
    with pytest.raises(FakeAPIError), gate:
        raise rate_limited(30.0)
    with no_wait() as waits, pytest.raises(GateClosedError) as info, gate:
        pass
    assert [] == waits.sleeps
    found = classify(info.value)
    assert ErrorCategory.RATE_LIMIT == found.category
    assert found.retry_after is not None
    assert 29.0 < found.retry_after <= 30.0


def test_gates_sharing_storage_share_the_block() -> None:
    """Two gates with one name and one storage (two processes, say) block each other."""
    storage = MemoryStorage()
    first = RateLimitGate("openai", storage=storage, pace=False)
    second = RateLimitGate("openai", storage=storage, pace=False)
    with pytest.raises(FakeAPIError), first:
        raise rate_limited(4.0)
    with no_wait() as waits, second:
        pass
    assert [pytest.approx(4.0, abs=0.01)] == waits.sleeps


def test_one_info_line_per_block_the_rest_at_debug() -> None:
    """Callers held by the same block: the first logs gate_waiting at info, the others at
    debug; a later block logs at info again."""
    gate = RateLimitGate("api", pace=False)
    with no_wait(), capture_logs() as logs:
        gate.storage.gate_extend("api", 5.0)
        for _ in range(3):
            assert gate._blocked(gate.remaining(), 0.0) > 4.9
        _clock.sleep(6.0)  # the block is over
        assert 0.0 == gate.remaining()
        gate.storage.gate_extend("api", 5.0)
        gate._blocked(gate.remaining(), 0.0)
    levels = [e["log_level"] for e in logs if e["event"] == "gate_waiting"]
    assert ["info", "debug", "debug", "info"] == levels


def test_fifty_threads_wait_instead_of_hitting_the_server() -> None:
    """One 429 (retry-after 5) seen by one of 50 threads: the other 49 send only after 5 s."""
    gate = RateLimitGate("api", pace=False)
    sent_at: list[float] = []
    lock = threading.Lock()
    limited_at: list[float] = []
    first_failed = threading.Event()

    def server(caller: int) -> None:
        with lock:
            sent_at.append(_clock.monotonic())
        if caller == 0:
            limited_at.append(_clock.monotonic())
            raise rate_limited(5.0)

    def worker(caller: int) -> None:
        if caller != 0:
            first_failed.wait(5)
        try:
            with gate:
                server(caller)
        except FakeAPIError:
            first_failed.set()

    with no_wait():
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert 50 == len(sent_at)
    later = sorted(sent_at)[1:]
    assert all(t >= limited_at[0] + 5.0 for t in later)


async def test_fifty_tasks_wait_instead_of_hitting_the_server() -> None:
    """The same with 50 asyncio tasks: 49 wait out the hint, each server hit comes after it."""
    gate = RateLimitGate("api", pace=False)
    sent_at: list[float] = []
    first_failed = asyncio.Event()

    async def worker(caller: int) -> None:
        if caller != 0:
            await first_failed.wait()
        try:
            async with gate:
                sent_at.append(_clock.monotonic())
                if caller == 0:
                    raise rate_limited(5.0)
        except FakeAPIError:
            first_failed.set()

    with no_wait() as waits:
        await asyncio.gather(*(worker(i) for i in range(50)))
    assert 50 == len(sent_at)
    assert all(t >= sent_at[0] + 5.0 for t in sent_at[1:])
    assert 1 <= waits.count


def test_pacer_starts_at_the_accepted_rate() -> None:
    """After a 429 the pacer spaces sends at the last window's success rate (or 1/hint)."""
    pacer = _Pacer(window=1.0)
    assert (0.0, 0) == pacer.reserve(0.0)
    for i in range(50):
        pacer.success(i / 50)
    pacer.limited(1.0, 0.01)
    rate = 0.8 * 49 / 0.98  # 49 successes in the window, the oldest 0.98 s ago
    assert pacer.rate == pytest.approx(rate)
    first, epoch = pacer.reserve(1.0)
    second, _ = pacer.reserve(1.0)
    assert 1 == epoch
    assert first == pytest.approx(0.01)
    assert second - first == pytest.approx(1 / rate)


def test_pacer_takes_a_lower_token_bucket_estimate() -> None:
    """A hint of 50 ms (one token at 20/s) caps the estimate at 20/s (paced at 80% of it)."""
    pacer = _Pacer(window=1.0)
    for i in range(50):
        pacer.success(0.5 + i / 100)
    pacer.limited(1.0, 0.05)
    assert pacer.rate == pytest.approx(16.0)


def test_pacer_probes_up_then_cuts_and_ends() -> None:
    """Queued successes raise the pace 2% at once; a 429 cuts to 90% of what the server
    accepted; only one cut per quarter window; a quiet spell ends pacing."""
    pacer = _Pacer(window=1.0)
    for i in range(20):
        pacer.success(i / 20)
    pacer.limited(1.0, 0.0)
    assert pacer.rate == pytest.approx(0.8 * 20.0)  # 19 successes, the oldest 0.95 s ago
    pacer.reserve(1.0)
    pacer.reserve(1.0)  # a queued caller: the pace is binding
    pacer.success(1.01)
    assert pacer.rate == pytest.approx(16.0 * 1.02)
    pacer.limited(1.1, 0.0)
    assert pacer.rate == pytest.approx(16.0 * 1.02)  # within a quarter window of the last cut
    pacer.limited(1.5, 0.0)
    cut = 0.9 * 10 / 0.95  # 10 successes in the window, the oldest 0.95 s ago
    assert pacer.rate == pytest.approx(cut)
    assert 2 == pacer.epoch
    pacer.reserve(1.5)
    pacer.reserve(1.5)
    pacer.success(1.6)
    assert pacer.rate == pytest.approx(cut)  # no growth within a window of a 429
    pacer.success(2.6)
    assert pacer.rate == pytest.approx(cut * 1.02)
    assert (0.0, 2) == pacer.reserve(20.0)
    assert pacer.rate is None


def test_pacer_cuts_again_only_for_429s_earned_at_the_current_pace() -> None:
    """A 429 of a call sent before the last change was earned at the old pace and is ignored;
    one sent at the current pace cuts at once, even within a quarter window."""
    pacer = _Pacer(window=1.0)
    for i in range(20):
        pacer.success(i / 20)
    pacer.limited(1.0, 0.0, 0)
    assert 1 == pacer.epoch
    started = pacer.rate
    assert started == pytest.approx(16.0)
    pacer.limited(1.01, 0.0, 0)  # in flight before the first 429
    assert started == pacer.rate
    assert 1 == pacer.epoch
    pacer.limited(1.02, 0.0, 1)  # sent at the current pace
    assert pacer.rate == pytest.approx(0.9 * 16.0)
    assert 2 == pacer.epoch


def test_gate_cuts_the_pace_only_for_calls_sent_at_it() -> None:
    """Two calls in flight when the first 429 lands: the second 429 does not cut the new pace;
    a call sent after the 429 that earns one does."""
    gate = RateLimitGate("api", window=1.0)
    with no_wait():
        for _ in range(10):
            with gate:
                pass
        gate.__enter__()  # sent before pacing began, answered after the first 429
        with pytest.raises(FakeAPIError), gate:
            raise rate_limited(0.5)
        started = gate.paced_rate
        assert started is not None
        _clock.sleep(0.5)  # past the quarter-window spacing: only the send epoch tells
        late_answer = rate_limited(0.5)
        gate.__exit__(type(late_answer), late_answer, None)
        assert started == gate.paced_rate
        with pytest.raises(FakeAPIError), gate:
            raise rate_limited(0.5)
    assert 2 == gate._pacer.epoch
    cut = gate.paced_rate
    assert cut is not None
    assert cut < started


async def test_async_tasks_keep_their_own_send_epochs() -> None:
    """Each task remembers the pace it sent at: a task sent before another's 429 does not cut,
    even while a third task, sent at the new pace, is in flight."""
    gate = RateLimitGate("api", window=1.0)
    early_sent, late_sent, late_done = asyncio.Event(), asyncio.Event(), asyncio.Event()
    with no_wait():
        for _ in range(10):
            async with gate:
                pass

        async def early() -> None:
            await gate.__aenter__()
            early_sent.set()
            await late_sent.wait()
            await _clock.async_sleep(0.5)  # past the quarter-window spacing
            answer = rate_limited(0.5)
            await gate.__aexit__(type(answer), answer, None)

        async def trigger() -> None:
            await early_sent.wait()
            with pytest.raises(FakeAPIError):
                async with gate:
                    raise rate_limited(0.5)

        async def late() -> None:
            await early_sent.wait()
            await asyncio.sleep(0)
            async with gate:  # waits for its paced slot, sent at the new pace
                late_sent.set()
                await late_done.wait()

        async def finish() -> None:
            await late_sent.wait()
            for _ in range(5):
                await asyncio.sleep(0)
            late_done.set()

        runs = asyncio.gather(early(), trigger(), late(), finish())
        await runs
    started = gate.paced_rate
    assert started is not None
    assert 1 == gate._pacer.epoch


def test_idle_pace_does_not_grow() -> None:
    """Successes while nobody waits for a slot leave the pace alone."""
    pacer = _Pacer(window=1.0)
    for i in range(10):
        pacer.success(i / 10)
    pacer.limited(1.0, 0.0)
    pacer.reserve(5.0)
    pacer.success(5.0)
    assert pacer.rate == pytest.approx(8.0)


def test_paced_gate_spaces_calls_after_a_429() -> None:
    """Through the gate: after a 429 the following calls leave at the paced interval."""
    gate = RateLimitGate("api", window=1.0)
    with no_wait() as waits:
        for _ in range(10):
            with gate:
                pass
        with pytest.raises(FakeAPIError), gate:
            raise rate_limited(0.5)
        for _ in range(3):
            with gate:
                pass
    assert gate.paced_rate is not None
    assert 3 <= len(waits.sleeps)
    assert waits.sleeps[0] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "g", "max_wait": -1}, "max_wait"),
        ({"name": "g", "window": 0}, "window"),
        ({"name": "g", "max_wait": float("nan")}, "max_wait"),
    ],
)
def test_bad_config_names_the_field(kwargs: dict[str, object], field: str) -> None:
    """Invalid settings fail at construction, naming the field."""
    with pytest.raises(ConfigurationError) as info:
        RateLimitGate(**kwargs)  # type: ignore[arg-type]
    assert field == info.value.field


def test_generators_hold_the_gate_for_the_whole_stream() -> None:
    """A generator's failure mid-iteration still closes the gate."""
    gate = RateLimitGate("api", pace=False)

    @gate
    def stream() -> Iterator[int]:
        yield 1
        raise rate_limited(2.0)

    with pytest.raises(FakeAPIError):
        list(stream())
    assert 1.0 < gate.remaining() <= 2.0
