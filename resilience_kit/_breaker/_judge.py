"""How a circuit breaker judges an outcome: failure, ignored or success."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from resilience_kit import _call, _events
from resilience_kit._breaker._options import BreakerOptions
from resilience_kit._classify import classify_once
from resilience_kit.metrics._breaker import BreakerRecorder


class Verdict(NamedTuple):
    """A judged exception: *failed* is True (a failure) or None (ignored, never a success);
    *provider* names whose failure it was, when a classification said so."""

    failed: bool | None
    provider: str | None = None


IGNORED = Verdict(failed=None)
_FAILED = Verdict(failed=True)


class Judge:
    """Outcome rules of one breaker, from its options."""

    def __init__(
        self,
        name: str,
        options: BreakerOptions,
        now: Callable[[], float],
        metrics: BreakerRecorder,
    ) -> None:
        self.name = name
        self.slow = options.slow_call_threshold
        self.categories = frozenset(options.failure_categories)
        self.is_failure = options.is_failure
        self.is_failure_result = options.is_failure_result
        self.judges_results = self.slow is not None or self.is_failure_result is not None
        """Whether a returned result may be a failure (slow, or by *is_failure_result*)."""
        self._now = now
        self._metrics = metrics

    def exception(self, exc: BaseException) -> Verdict:
        """Judge a raised exception. Classified once per failed attempt: through the current
        call's context when there is one (every layer of the call reads the same answer)."""
        if not isinstance(exc, Exception):  # CancelledError, KeyboardInterrupt, GeneratorExit
            return IGNORED
        if self.is_failure is not None:
            try:
                return _FAILED if self.is_failure(exc) else IGNORED
            except Exception as err:  # a broken predicate must not break the call
                self._predicate_failed(err)
                return IGNORED
        ctx = _call.current()
        found = classify_once(exc) if ctx is None else ctx.classified(exc, classify_once)
        if found.category not in self.categories:
            return IGNORED
        self._metrics.failure_category(found.category)
        return Verdict(failed=True, provider=found.provider)

    def slow_since(self, started: float) -> bool:
        slow = self.slow
        return slow is not None and self._now() - started > slow

    def result(self, result: Any, started: float) -> bool:
        """Whether a returned *result* is a failure."""
        if self.slow_since(started):
            return True
        predicate = self.is_failure_result
        if predicate is None:
            return False
        try:
            return bool(predicate(result))
        except Exception as err:  # a broken predicate must not break the call
            self._predicate_failed(err)
            return False

    def _predicate_failed(self, err: Exception) -> None:
        _events.emit(
            "breaker_predicate_failed",
            level="warning",
            breaker=self.name,
            error=type(err).__name__,
        )
