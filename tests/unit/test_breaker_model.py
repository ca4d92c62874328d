"""Model-based test: the breaker against a small reference model, step by step.

Hypothesis drives one in-memory breaker (injected clock) through admissions, the three outcomes
(failure, success, ignored: a cancelled or early-closed call), time steps, and calls admitted
before a transition ending after it. After every step the breaker's state, generation, probe
count and consecutive failures must equal the model's, and every transition a listener saw must
be one of the four legal ones, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

import resilience_kit as rk
from resilience_kit import CircuitState
from resilience_kit.storage import MemoryStorage
from tests.unit._breaker_helpers import Clock

CLOSED, OPEN, HALF = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN
RECOVERY = 10.0


class BackendError(ConnectionError):
    """A breaker failure (CONNECTION)."""


@dataclass
class Model:
    """The reference: what a breaker with these settings must do, written as plainly as possible."""

    threshold: int
    limit: int
    successes_needed: int
    state: CircuitState = CLOSED
    generation: int = 0
    open_until: float = 0.0
    consecutive: int = 0
    probes: int = 0  # probes running since the circuit last closed, of any half-open spell
    successes: int = 0
    epoch: int = 0  # + 1 on each close
    transitions: list[tuple[CircuitState, CircuitState]] = field(default_factory=list)
    told: int = -1  # the open spell (generation) whose end a read has told listeners

    def observe(self, now: float) -> None:
        """A read (state, snapshot) tells listeners that an open spell is over, once."""
        if self.state is OPEN and now >= self.open_until and self.told != self.generation:
            self.told = self.generation
            self.transitions.append((OPEN, HALF))

    def tell(self, new: CircuitState) -> None:
        old = HALF if self.state is OPEN and self.told == self.generation else self.state
        if old is not new:
            self.transitions.append((old, new))

    def move(self, new: CircuitState, now: float) -> None:
        self.tell(new)
        self.state = new
        self.generation += 1
        self.successes = 0
        if new is OPEN:
            self.open_until = now + RECOVERY
        if new is CLOSED:
            self.close()

    def close(self) -> None:
        self.consecutive = self.probes = 0
        self.epoch += 1

    def visible(self, now: float) -> CircuitState:
        if self.state is OPEN and now >= self.open_until:
            return HALF
        return self.state

    def admit(self, now: float) -> tuple[int, bool, int] | None:
        """(generation, is_probe, epoch) of an admitted call, None for a rejection."""
        if self.state is CLOSED:
            return (self.generation, False, self.epoch)
        if self.state is OPEN:
            if now < self.open_until:
                return None
            self.move(HALF, now)
        if self.probes >= self.limit:
            return None
        self.probes += 1
        return (self.generation, True, self.epoch)

    def settle(self, permit: tuple[int, bool, int], outcome: str, now: float) -> None:
        generation, probe, epoch = permit
        if probe and epoch == self.epoch:
            self.probes -= 1  # every probe permit comes back, whatever the outcome
        if generation != self.generation:
            return  # admitted before a transition: must not touch the new state
        if not probe:
            if self.state is not CLOSED or outcome == "ignored":
                return
            if outcome == "success":
                self.consecutive = 0
                return
            self.consecutive += 1
            if self.consecutive >= self.threshold:
                self.move(OPEN, now)
            return
        if outcome == "failure":
            self.move(OPEN, now)
        elif outcome == "success":
            self.successes += 1
            if self.successes >= self.successes_needed:
                self.move(CLOSED, now)


@dataclass
class Call:
    """One admitted call, in flight: a started stream (sync or async) and the model's permit."""

    kind: str
    stream: Any
    permit: tuple[int, bool, int]


class BreakerMachine(RuleBasedStateMachine):
    """Breaker vs model, one step at a time."""

    calls = Bundle("calls")

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.loop = asyncio.new_event_loop()
        self.seen: list[tuple[CircuitState, CircuitState]] = []
        self.inflight: list[Call] = []

    def teardown(self) -> None:
        for call in list(self.inflight):  # calls the run left open end as ignored
            self.finish(call, "ignored")
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    @initialize(
        threshold=st.integers(1, 3),
        limit=st.integers(1, 3),
        successes=st.integers(1, 2),
        shared=st.booleans(),
    )
    def build(self, threshold: int, limit: int, successes: int, shared: bool) -> None:
        """A private breaker, or one on shared storage (alone there, it must behave the same)."""
        self.model = Model(threshold, limit, successes)
        self.breaker = rk.CircuitBreaker(
            "model",
            failure_threshold=threshold,
            recovery_timeout=RECOVERY,
            half_open_max_calls=limit,
            success_threshold=successes,
            storage=MemoryStorage(clock=self.clock) if shared else None,
            sync_interval=0.0,
            clock=self.clock,
            listeners=[lambda _name, old, new: self.seen.append((old, new))],
        )
        breaker = self.breaker

        @breaker
        def stream() -> Iterator[str]:
            outcome = yield "started"
            if outcome == "failure":
                raise BackendError("down")

        @breaker
        async def astream() -> AsyncIterator[str]:
            outcome = yield "started"
            if outcome == "failure":
                raise BackendError("down")
            yield "done"

        self.stream, self.astream = stream, astream

    def _start(self, kind: str) -> Any:
        if kind == "sync":
            gen = self.stream()
            return gen, next(gen)
        agen = self.astream()
        return agen, self.loop.run_until_complete(agen.__anext__())

    @rule(target=calls, kind=st.sampled_from(["sync", "async"]))
    def start(self, kind: str) -> Any:
        """Ask for admission; the breaker admits exactly when the model does."""
        expected = self.model.admit(self.clock.now)
        try:
            stream, first = self._start(kind)
        except rk.CircuitOpenError:
            assert expected is None
            return multiple()  # nothing new in flight
        assert expected is not None
        assert "started" == first
        call = Call(kind, stream, expected)
        self.inflight.append(call)
        return call

    @rule(call=consumes(calls), outcome=st.sampled_from(["success", "failure", "ignored"]))
    def finish(self, call: Call, outcome: str) -> None:
        """End an admitted call as a success, a failure, or ignored (closed early / cancelled)."""
        self.inflight.remove(call)
        self.model.settle(call.permit, outcome, self.clock.now)
        if call.kind == "sync":
            self._finish_sync(call.stream, outcome)
        else:
            self.loop.run_until_complete(self._finish_async(call.stream, outcome))

    @staticmethod
    def _finish_sync(gen: Any, outcome: str) -> None:
        if outcome == "ignored":
            gen.close()
            return
        try:
            gen.send(outcome)
        except StopIteration:
            assert "success" == outcome
        except BackendError:
            assert "failure" == outcome

    @staticmethod
    async def _finish_async(agen: Any, outcome: str) -> None:
        if outcome == "ignored":
            await agen.aclose()
            return
        try:
            assert "done" == await agen.asend(outcome)
            await agen.asend(None)
        except StopAsyncIteration:
            assert "success" == outcome
        except BackendError:
            assert "failure" == outcome

    @rule(seconds=st.sampled_from([0.5, 5.0, RECOVERY, 2 * RECOVERY]))
    def advance(self, seconds: float) -> None:
        """Let time pass."""
        self.clock.advance(seconds)

    @precondition(lambda self: hasattr(self, "model"))
    @rule()
    def reset(self) -> None:
        """reset() closes the circuit from any state (a documented extra transition)."""
        model = self.model
        model.tell(CLOSED)
        model.state = CLOSED
        model.generation += 1
        model.successes = 0
        model.close()
        self.breaker.reset()

    @invariant()
    def agrees_with_model(self) -> None:
        if not hasattr(self, "model"):
            return
        model, snap = self.model, self.breaker.snapshot()
        model.observe(self.clock.now)
        assert model.visible(self.clock.now) is snap.state
        assert model.generation == snap.generation
        assert model.probes == snap.probes_in_flight
        assert model.consecutive == snap.consecutive_failures
        assert model.transitions == self.seen


BreakerMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestBreakerModel = BreakerMachine.TestCase
