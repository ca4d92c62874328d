"""How the circuit breaker judges an outcome: failure, ignored or success."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from resilience_kit import _events
from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._dispatch import classify
from resilience_kit.metrics._breaker import BreakerRecorder


class Judge:
    """Outcome rules of a breaker (mixed into ``BreakerCore``; reads its validated options)."""

    name: str
    _now: Callable[[], float]
    _slow: float | None
    _failure_categories: frozenset[ErrorCategory]
    _is_failure: Callable[[BaseException], bool] | None
    _is_failure_result: Callable[[Any], bool] | None
    _metrics: BreakerRecorder

    def _judge(self, exc: BaseException) -> bool | None:
        """True for a failure, None for an ignored outcome (never a success)."""
        if not isinstance(exc, Exception):  # CancelledError, KeyboardInterrupt, GeneratorExit
            return None
        if self._is_failure is not None:
            try:
                return True if self._is_failure(exc) else None
            except Exception as err:  # a broken predicate must not break the call
                _events.emit(
                    "breaker_predicate_failed",
                    level="warning",
                    breaker=self.name,
                    error=type(err).__name__,
                )
                return None
        category = classify(exc).category
        if category not in self._failure_categories:
            return None
        self._metrics.failure_category(category)
        return True

    def _stream_failed(self, started: float) -> bool:
        slow = self._slow
        return slow is not None and self._now() - started > slow

    def _result_failed(self, result: Any, started: float) -> bool:
        slow = self._slow
        if slow is not None and self._now() - started > slow:
            return True
        predicate = self._is_failure_result
        if predicate is None:
            return False
        try:
            return bool(predicate(result))
        except Exception as err:  # a broken predicate must not break the call
            _events.emit(
                "breaker_predicate_failed",
                level="warning",
                breaker=self.name,
                error=type(err).__name__,
            )
            return False
