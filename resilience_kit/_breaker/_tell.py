"""How a breaker tells the world: listeners and log events in transition order, rejections."""

from __future__ import annotations

import threading
from typing import TypeAlias

from resilience_kit import _events
from resilience_kit._breaker._judge import Judge
from resilience_kit._breaker._types import CircuitState, Listener
from resilience_kit.exceptions import CircuitOpenError

Transition: TypeAlias = "tuple[CircuitState, CircuitState, str]"
"""(old state, new state, reason) of one transition."""


class Teller(Judge):
    """Delivery of transitions and rejections (mixed into ``BreakerCore``, which owns the lock).

    Transitions are queued in ``_pending`` under the lock, in the order they happen, and told
    outside it by whichever thread finds them pending; a listener may call back into the breaker.
    """

    _lock: threading.Lock
    _pending: list[Transition]
    _delivering: bool
    _listeners: list[Listener]
    _logged_rejection: tuple[int, CircuitState] | None

    def _deliver(self) -> None:
        """Tell listeners about pending transitions, in order, outside the lock."""
        while True:
            with self._lock:
                if self._delivering or not self._pending:
                    return
                self._delivering = True
                batch, self._pending = self._pending, []
            try:
                self._fire(batch)
            finally:
                with self._lock:
                    self._delivering = False

    def _fire(self, events: list[Transition]) -> None:
        for old, new, reason in events:
            self._metrics.state_changed(new.value)
            _events.emit(
                "breaker_state_changed",
                breaker=self.name,
                old_state=old.value,
                new_state=new.value,
                reason=reason,
            )
            for listener in tuple(self._listeners):
                self._notify(listener, old, new)

    def _notify(self, listener: Listener, old: CircuitState, new: CircuitState) -> None:
        try:
            listener(self.name, old, new)
        except Exception as exc:  # a listener's bug must never reach the caller
            _events.emit(
                "breaker_listener_failed",
                level="warning",
                breaker=self.name,
                error=type(exc).__name__,
            )

    def _rejection(
        self, generation: int, state: CircuitState, retry_after: float
    ) -> CircuitOpenError:
        self._metrics.rejected()
        # One info line per open (or half-open) spell; the rest at debug, so an open circuit under
        # load does not flood the log (metrics count every rejection).
        spell = (generation, state)
        first = spell != self._logged_rejection
        self._logged_rejection = spell
        _events.emit(
            "breaker_rejected",
            level="info" if first else "debug",
            breaker=self.name,
            state=state.value,
            retry_after=retry_after,
        )
        return CircuitOpenError(self.name, retry_after)
