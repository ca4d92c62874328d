"""How a breaker tells the world: listeners and log events in transition order, rejections."""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

from resilience_kit import _events
from resilience_kit._breaker._types import OPEN, CircuitState, Listener
from resilience_kit.exceptions import CircuitOpenError
from resilience_kit.metrics._breaker import BreakerRecorder


class Transition(NamedTuple):
    """One transition, as told: *provider* names who failed when the circuit is open."""

    old: CircuitState
    new: CircuitState
    reason: str
    provider: str | None


class Teller:
    """Delivery of one breaker's transitions and rejections.

    Transitions are queued (`queue()`) under the breaker's *lock*, in the order they happen, and
    told outside it (`deliver()`) by whichever thread finds them pending; a listener may call
    back into the breaker.
    """

    def __init__(
        self,
        name: str,
        lock: threading.Lock,
        listeners: list[Listener],
        metrics: BreakerRecorder,
    ) -> None:
        self.name = name
        self.listeners = listeners
        self._lock = lock
        self._metrics = metrics
        self._pending: list[Transition] = []  # queued under the lock, not yet told
        self._delivering = False
        self._logged_rejection: tuple[int, CircuitState] | None = None

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def queue(
        self, old: CircuitState, new: CircuitState, reason: str, provider: str | None
    ) -> None:
        """Queue a transition (call with the breaker's lock held)."""
        self._pending.append(Transition(old, new, reason, provider))

    def deliver(self) -> None:
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
        for old, new, reason, provider in events:
            self._metrics.state_changed(new.value)
            fields: dict[str, Any] = {}
            if new is OPEN and provider is not None:
                fields["provider"] = provider
            _events.emit(
                "breaker_state_changed",
                breaker=self.name,
                old_state=old.value,
                new_state=new.value,
                reason=reason,
                **fields,
            )
            for listener in tuple(self.listeners):
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

    def rejection(
        self, generation: int, state: CircuitState, retry_after: float, provider: str | None
    ) -> CircuitOpenError:
        self._metrics.rejected()
        # One info line per open (or half-open) spell; the rest at debug, so an open circuit under
        # load does not flood the log (metrics count every rejection).
        spell = (generation, state)
        first = spell != self._logged_rejection
        self._logged_rejection = spell
        fields: dict[str, Any] = {} if provider is None else {"provider": provider}
        _events.emit(
            "breaker_rejected",
            level="info" if first else "debug",
            breaker=self.name,
            state=state.value,
            retry_after=retry_after,
            **fields,
        )
        return CircuitOpenError(self.name, retry_after)
