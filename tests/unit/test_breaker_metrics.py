"""A real ``CircuitBreaker`` feeds ``resilience_kit.metrics``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import resilience_kit as rk
from resilience_kit import ErrorCategory, metrics


@pytest.fixture(autouse=True)
def _clean_metrics() -> Iterator[None]:
    metrics.reset()
    yield
    metrics.reset()


def test_breaker_outcomes_rejections_and_states_are_counted() -> None:
    """Successes, failures by category, ignored errors, rejections and the trip are recorded."""
    now = [0.0]
    breaker = rk.CircuitBreaker("metrics-db", failure_threshold=2, clock=lambda: now[0])
    outcomes = iter([None, ValueError("bad input"), TimeoutError("slow"), TimeoutError("slow")])

    @breaker
    def call() -> str:
        error = next(outcomes)
        if error is not None:
            raise error
        return "ok"

    assert "ok" == call()
    for expected in (ValueError, TimeoutError, TimeoutError):
        with pytest.raises(expected):
            call()
    for _ in range(3):
        with pytest.raises(rk.CircuitOpenError):
            call()
    b = metrics.snapshot().breaker("metrics-db")
    assert ("open", 4, 1, 1, 3, 1) == (
        b.state,
        b.calls,
        b.successes,
        b.ignored,
        b.rejections,
        b.transitions,
    )
    assert {ErrorCategory.TIMEOUT: 2} == dict(b.failures)
    assert {"closed", "open"} == set(b.time_in_state)
    lines = metrics.snapshot().summary_table().splitlines()
    assert ["metrics-db", "open", "4", "1", "2", "3", "1"] == next(
        line.split()[:7] for line in lines if line.startswith("metrics-db")
    )
