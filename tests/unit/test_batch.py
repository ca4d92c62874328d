"""run_batch / arun_batch: every input ends in exactly one place; retryable ones re-run."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resilience_kit import (
    BatchResult,
    ConfigurationError,
    ErrorCategory,
    arun_batch,
    run_batch,
)
from resilience_kit.testing import no_wait
from tests.unit.throughput_helpers import FakeAPIError, fake_errors

CATEGORIES = [
    ErrorCategory.RATE_LIMIT,
    ErrorCategory.SERVER,
    ErrorCategory.QUOTA,
    ErrorCategory.BAD_REQUEST,
]


@pytest.fixture(autouse=True)
def _fakes() -> Iterator[None]:
    with fake_errors():
        yield


def _check_partition(result: BatchResult[int, int], n: int) -> None:
    assert set() == set(result.results) & set(result.failures)
    assert set(range(n)) == set(result.results) | set(result.failures)


def test_sync_batch_reruns_retryable_failures() -> None:
    """A 429 on the first try succeeds in round 2; a bad request stays failed after one try."""
    seen: dict[int, int] = {}
    lock = threading.Lock()

    def work(item: int) -> int:
        with lock:
            seen[item] = seen.get(item, 0) + 1
        if item == 3 and seen[item] == 1:
            raise FakeAPIError(ErrorCategory.RATE_LIMIT, 2.0)
        if item == 7:
            raise FakeAPIError(ErrorCategory.BAD_REQUEST)
        return item * 2

    with no_wait() as waits:
        result = run_batch(work, range(10), concurrency=4, rounds=3)
    _check_partition(result, 10)
    assert [0, 2, 4, 6, 8, 10, 12, 16, 18] == result.values()
    assert {"ok": 9, "bad_request": 1} == result.summary()
    failure = result.failures[7]
    assert (7, 1, ErrorCategory.BAD_REQUEST) == (
        failure.item,
        failure.attempts,
        failure.classification.category,
    )
    assert [2.0] == waits.sleeps
    assert 2 == result.rounds
    assert not result.ok


def test_retryable_failures_stop_after_the_last_round() -> None:
    """An input that always fails with a 503 is tried once per round, then reported."""
    with no_wait():
        result = run_batch(
            lambda item: (_ for _ in ()).throw(FakeAPIError(ErrorCategory.SERVER)),
            [1],
            rounds=3,
            pause=0.5,
        )
    assert 3 == result.failures[0].attempts
    assert {"ok": 0, "server": 1} == result.summary()


async def test_async_batch() -> None:
    """The async batch keeps order in values() and counts attempts."""
    calls: dict[int, int] = {}

    async def work(item: int) -> int:
        calls[item] = calls.get(item, 0) + 1
        if item % 5 == 0 and calls[item] == 1:
            raise FakeAPIError(ErrorCategory.OVERLOADED)
        return item

    with no_wait():
        result = await arun_batch(work, range(20), concurrency=4)
    assert list(range(20)) == result.values()
    assert result.ok
    assert {"ok": 20} == result.summary()


def test_progress_line_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """progress=True draws a progress line on stderr."""
    run_batch(lambda x: x, range(3), progress=True)
    assert "3/3 done" in capsys.readouterr().err


def test_bad_config() -> None:
    """Bad numbers and an async function passed to run_batch are refused."""

    async def work(item: int) -> int:
        return item

    with pytest.raises(ConfigurationError) as info:
        run_batch(work, [1])
    assert "fn" == info.value.field
    with pytest.raises(ConfigurationError) as info:
        run_batch(lambda x: x, [1], concurrency=0)
    assert "concurrency" == info.value.field
    with pytest.raises(ConfigurationError) as info:
        run_batch(lambda x: x, [1], rounds=0)
    assert "rounds" == info.value.field


async def test_arun_batch_refuses_a_sync_function() -> None:
    """A sync function handed to arun_batch is a configuration error, not 1,000 failures."""
    with pytest.raises(ConfigurationError):
        await arun_batch(lambda x: x, [1])  # type: ignore[arg-type, return-value]


patterns = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(CATEGORIES)), min_size=1, max_size=20
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=patterns, rounds=st.integers(1, 4))
async def test_no_input_is_lost_async(
    pattern: list[tuple[int, ErrorCategory]], rounds: int
) -> None:
    """1,000 inputs failing in generated patterns: each ends in exactly one place."""
    calls = [0] * 1000

    async def work(item: int) -> int:
        calls[item] += 1
        failures, category = pattern[item % len(pattern)]
        if calls[item] <= failures:
            raise FakeAPIError(category)
        return item

    with no_wait():
        result = await arun_batch(work, range(1000), concurrency=16, rounds=rounds)
    _check_partition(result, 1000)
    assert 1000 == sum(result.summary().values())
    for index, failure in result.failures.items():
        assert calls[index] == failure.attempts
    for index in result.results:
        assert result.results[index] == index


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=patterns)
def test_no_input_is_lost_threads(pattern: list[tuple[int, ErrorCategory]]) -> None:
    """The threaded batch loses nothing either."""
    calls = [0] * 1000
    lock = threading.Lock()

    def work(item: int) -> int:
        with lock:
            calls[item] += 1
            count = calls[item]
        failures, category = pattern[item % len(pattern)]
        if count <= failures:
            raise FakeAPIError(category)
        return item

    with no_wait():
        result = run_batch(work, range(1000), concurrency=8, rounds=3)
    _check_partition(result, 1000)
    assert 1000 == sum(result.summary().values())
