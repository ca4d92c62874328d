"""RetryBudget: retries across functions stay under the configured share of requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from resilience_kit import ConfigurationError, RetryBudget, retry
from resilience_kit.storage import MemoryStorage
from resilience_kit.testing import no_wait
from tests.unit.throughput_helpers import FakeAPIError, fake_errors, rate_limited


@pytest.fixture(autouse=True)
def _fakes() -> Iterator[None]:
    with fake_errors():
        yield


def test_budget_allows_ratio_of_requests() -> None:
    """With no floor, 100 requests at ratio 0.2 allow exactly 20 retries."""
    budget = RetryBudget(ratio=0.2, min_per_second=0, window=10)
    for _ in range(100):
        budget.record_request()
    granted = sum(budget.try_retry() for _ in range(50))
    assert 20 == granted


def test_retry_stops_at_the_configured_share() -> None:
    """Two functions sharing a budget: failing calls retry only 20% of their requests."""
    budget = RetryBudget(ratio=0.2, min_per_second=0, window=60)
    attempts = {"a": 0, "b": 0}

    @retry(max_attempts=5, initial_wait=0.1, budget=budget)
    def call_a() -> None:
        attempts["a"] += 1
        raise rate_limited(None)

    @retry(max_attempts=5, initial_wait=0.1, budget=budget)
    def call_b() -> None:
        attempts["b"] += 1
        raise rate_limited(None)

    with no_wait(), capture_logs() as logs:
        for _ in range(50):
            for call in (call_a, call_b):
                with pytest.raises(FakeAPIError):
                    call()
    total = attempts["a"] + attempts["b"]
    retries = total - 100
    assert 20 == retries
    assert 80 <= sum(e["event"] == "budget_exhausted" for e in logs)


def test_exhausted_budget_gives_up_at_once_with_a_note() -> None:
    """When the budget is empty the original error is re-raised with a note, no sleep."""
    budget = RetryBudget(ratio=0.0, min_per_second=0.0, window=10)

    @retry(max_attempts=5, budget=budget)
    def call() -> None:
        raise FakeAPIError(rate_limited(1.0).category, 1.0)

    with no_wait() as waits, pytest.raises(FakeAPIError) as info:
        call()
    assert [] == waits.sleeps
    assert any("budget_exhausted" in note for note in info.value.__notes__)


def test_min_per_second_keeps_a_trickle() -> None:
    """With no requests, min_per_second * window retries are still allowed."""
    budget = RetryBudget(ratio=0.2, min_per_second=1, window=5)
    assert 5 == sum(budget.try_retry() for _ in range(10))


def test_budget_window_slides() -> None:
    """Retries taken leave the window after *window* seconds."""
    budget = RetryBudget(ratio=0.0, min_per_second=1, window=2)
    with no_wait() as clock:
        assert [True, True, False] == [budget.try_retry() for _ in range(3)]
        clock.record(2.5)
        assert budget.try_retry()


async def test_async_retry_shares_the_budget() -> None:
    """Async functions record requests and spend tokens from the same budget."""
    budget = RetryBudget(ratio=0.5, min_per_second=0, window=60, storage=MemoryStorage())
    attempts = 0

    @retry(max_attempts=3, initial_wait=0.1, budget=budget)
    async def call() -> None:
        nonlocal attempts
        attempts += 1
        raise rate_limited(None)

    with no_wait():
        for _ in range(10):
            with pytest.raises(FakeAPIError):
                await call()
    assert 15 == attempts


async def test_async_methods() -> None:
    """arecord_request / atry_retry go through the storage's async variants."""
    budget = RetryBudget(ratio=1.0, min_per_second=0, window=10, name="shared")
    await budget.arecord_request()
    assert await budget.atry_retry()
    assert not await budget.atry_retry()
    assert "shared" == budget.name


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ratio": -0.1}, "ratio"),
        ({"min_per_second": -1}, "min_per_second"),
        ({"window": 0}, "window"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_config_names_the_field(kwargs: dict[str, object], field: str) -> None:
    """Invalid settings fail at construction, naming the field."""
    with pytest.raises(ConfigurationError) as info:
        RetryBudget(**kwargs)  # type: ignore[arg-type]
    assert field == info.value.field


def test_retry_rejects_a_non_budget() -> None:
    """``budget=`` must be a RetryBudget."""
    with pytest.raises(ConfigurationError) as info:
        retry(budget=0.2)  # type: ignore[arg-type]
    assert "budget" == info.value.field
