"""What the kit retains is bounded by live objects: run-time decorations and short-lived tools."""

from __future__ import annotations

import contextvars
import gc

import resilience_kit as rk
from resilience_kit import metrics
from resilience_kit._retry._statistics import _STATS, _live

DECORATIONS = 200


def test_run_time_decorations_do_not_pile_up_in_the_thread_context() -> None:
    """Decorating and calling 200 functions at run time adds at most one variable to the context."""
    before = len(contextvars.copy_context())
    for index in range(DECORATIONS):

        def ask(index: int = index) -> int:
            return index

        decorated = rk.retry(max_attempts=2)(ask)
        assert index == decorated()
        assert 1 == decorated.statistics["attempt_number"]
    assert len(contextvars.copy_context()) - before <= 1


def test_statistics_of_dropped_decorations_are_forgotten() -> None:
    """Once decorated functions are gone, their statistics entries are pruned from the context."""
    for _ in range(DECORATIONS):
        rk.retry(max_attempts=2)(lambda: 1)()
    gc.collect()
    keep = rk.retry(max_attempts=2)(lambda: 2)
    keep()  # a call after the collection prunes the dead entries
    assert len(_STATS.get({})) <= 2 * len(_live) + 17


def test_short_lived_breakers_leave_no_metrics_recorder_behind() -> None:
    """A breaker's metrics recorder goes away with the last breaker of that name."""
    for index in range(50):
        breaker = rk.CircuitBreaker(f"short-lived-{index}")
        with breaker:
            pass
    del breaker
    gc.collect()
    names = set(metrics.snapshot().breakers)
    assert set() == {name for name in names if name.startswith("short-lived-")}
    alive = rk.CircuitBreaker("still-here")
    assert "still-here" in metrics.snapshot().breakers
    assert "closed" == alive.state.value
