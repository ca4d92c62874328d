"""AdaptiveLimiter: AIMD limit, waiting in threads and tasks, events."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from resilience_kit import AdaptiveLimiter, BulkheadFullError, ConfigurationError, ErrorCategory
from resilience_kit.testing import no_wait
from tests.unit.throughput_helpers import FakeAPIError, fake_errors, rate_limited


@pytest.fixture(autouse=True)
def _fakes() -> Iterator[None]:
    with fake_errors():
        yield


def _fail(limiter: AdaptiveLimiter, error: BaseException) -> None:
    with pytest.raises(type(error)), limiter:
        raise error


def test_rate_limit_halves_once_per_window() -> None:
    """A burst of 429s halves the limit once; after the window another 429 halves again."""
    limiter = AdaptiveLimiter(16, 1, 64, window=1.0)
    with no_wait() as clock, capture_logs() as logs:
        for _ in range(5):
            _fail(limiter, rate_limited(None))
        assert 8 == limiter.limit
        clock.record(1.0)
        _fail(limiter, FakeAPIError(ErrorCategory.OVERLOADED))
    assert 4 == limiter.limit
    adjusted = [e for e in logs if e["event"] == "limiter_adjusted"]
    assert [(16, 8), (8, 4)] == [(e["old_limit"], e["new_limit"]) for e in adjusted]
    assert "rate_limit" == adjusted[0]["reason"]


def test_success_adds_one_per_limit() -> None:
    """Each success adds 1/limit: five successes take limit 4 to 5; max caps it."""
    limiter = AdaptiveLimiter(4, 1, 5)
    for _ in range(4):
        with limiter:
            pass
    assert 4 == limiter.limit
    with limiter:
        pass
    assert 5 == limiter.limit
    for _ in range(4):
        with limiter:
            pass
    assert 5 == limiter.limit
    for _ in range(20):
        with limiter:
            pass
    assert 5 == limiter.limit


def test_min_floors_the_limit_and_other_failures_are_neutral() -> None:
    """The limit never drops below min; server errors and bugs leave it alone."""
    limiter = AdaptiveLimiter(2, 2, 8, window=0.001)
    with no_wait() as clock:
        for _ in range(3):
            _fail(limiter, rate_limited(None))
            clock.record(1.0)
    assert 2 == limiter.limit
    _fail(limiter, FakeAPIError(ErrorCategory.SERVER))
    _fail(limiter, ValueError("bug"))
    assert 2 == limiter.limit
    assert 0 == limiter.in_flight


def test_third_thread_waits_for_a_slot() -> None:
    """At limit 2 a third thread waits until one of the first two finishes."""
    limiter = AdaptiveLimiter(2, 1, 2)
    release = threading.Event()
    entered: list[int] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        with limiter:
            with lock:
                entered.append(n)
            release.wait(5)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    deadline = threading.Event()
    while len(entered) < 2 and not deadline.wait(0.005):
        pass
    deadline.wait(0.05)
    assert 2 == len(entered)
    release.set()
    for thread in threads:
        thread.join(5)
    assert 3 == len(entered)
    assert 0 == limiter.in_flight


def test_max_wait_rejects_with_bulkhead_full() -> None:
    """With max_wait, a caller that gets no slot in time raises BulkheadFullError."""
    limiter = AdaptiveLimiter(1, 1, 1, max_wait=0.01, name="llm")
    with limiter, pytest.raises(BulkheadFullError) as info, limiter:
        pass
    assert "llm" == info.value.name


async def test_async_tasks_share_the_limit() -> None:
    """At limit 2, at most two of ten tasks run at once and all finish."""
    limiter = AdaptiveLimiter(2, 1, 2)
    running = 0
    peak = 0

    @limiter
    async def call(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        running -= 1
        return n

    assert list(range(10)) == await asyncio.gather(*(call(n) for n in range(10)))
    assert 2 == peak


async def test_cancelled_waiter_gives_its_place_back() -> None:
    """A task cancelled while waiting for a slot leaves the count intact."""
    limiter = AdaptiveLimiter(1, 1, 1)
    gate = asyncio.Event()

    async def hold() -> None:
        async with limiter:
            await gate.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.set()
    await holder
    assert 0 == limiter.in_flight
    async with limiter:
        assert 1 == limiter.in_flight


async def test_async_rate_limit_halves() -> None:
    """The async path learns too."""
    limiter = AdaptiveLimiter(8, 1, 8)
    with pytest.raises(FakeAPIError):
        async with limiter:
            raise rate_limited(1.0)
    assert 4 == limiter.limit


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((0, 1, 4), {}, "initial"),
        ((5, 1, 4), {}, "initial"),
        ((2, 3, 2), {}, "max"),
        ((2, 1, 4), {"window": 0}, "window"),
        ((2, 1, 4), {"decrease": 1.0}, "decrease"),
        ((2, 1, 4), {"max_wait": -1}, "max_wait"),
        ((2, 1, 4), {"decrease_on": ["rate_limit"]}, "decrease_on"),
        ((True, 1, 4), {}, "initial"),
    ],
)
def test_bad_config_names_the_field(
    args: tuple[int, int, int], kwargs: dict[str, object], field: str
) -> None:
    """Invalid settings fail at construction, naming the field."""
    with pytest.raises(ConfigurationError) as info:
        AdaptiveLimiter(*args, **kwargs)  # type: ignore[arg-type]
    assert field == info.value.field
