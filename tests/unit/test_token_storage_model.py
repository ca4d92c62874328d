"""Model-based test of MemoryStorage token budgets: random reserve/send/sync/advance sequences."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from resilience_kit.storage import MemoryStorage

RATE, CAP = (2.0, 100.0), (10.0, 1000.0)


class TokenBudget(RuleBasedStateMachine):
    """Reservations wait in FIFO order, levels never exceed the caps, counters add up."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.storage = MemoryStorage(clock=lambda: self.now)
        self.pending: list[tuple[float, float]] = []
        self.sent = [0.0, 0.0]
        self.last_due: float | None = None  # when the last queued reservation may go

    def entry(self) -> object:
        return self.storage._token_budgets.get("m")

    @rule(requests=st.integers(0, 3), tokens=st.integers(0, 1200))
    def reserve(self, requests: int, tokens: int) -> None:
        cost = (float(requests), float(tokens))
        got = self.storage.tokens_reserve("m", cost=cost, rate=RATE, cap=CAP)
        due = self.now + got.wait
        if self.last_due is not None:
            assert due >= self.last_due - 1e-9  # FIFO: nobody overtakes a queued caller
        if got.sent is None:
            assert got.wait > 0
            self.pending.append(cost)
            self.last_due = due
        else:
            self.sent = [self.sent[0] + cost[0], self.sent[1] + cost[1]]
            assert pytest.approx(self.sent) == list(got.sent)

    @precondition(lambda self: bool(self.pending))
    @rule()
    def send(self) -> None:
        cost = self.pending.pop(0)
        self.sent = [self.sent[0] + cost[0], self.sent[1] + cost[1]]
        assert pytest.approx(self.sent) == list(self.storage.tokens_send("m", cost=cost))

    @rule(seconds=st.floats(0.0, 30.0))
    def advance(self, seconds: float) -> None:
        self.now += seconds

    @rule(requests=st.integers(0, 10), tokens=st.integers(0, 1000))
    def sync(self, requests: int, tokens: int) -> None:
        sent = (self.sent[0], self.sent[1])
        self.storage.tokens_sync(
            "m", remaining=(requests, tokens), age=0.0, sent=sent, rate=RATE, cap=CAP
        )
        self.last_due = None  # a sync may move the levels either way
        entry = self.entry()
        if entry is not None:
            pending = [sum(c[i] for c in self.pending) for i in (0, 1)]
            levels = entry.levels  # type: ignore[attr-defined]
            assert pytest.approx([requests - pending[0], tokens - pending[1]]) == levels

    @invariant()
    def levels_within_caps_and_pending_counted(self) -> None:
        entry = self.entry()
        if entry is None:
            return
        levels = entry.levels  # type: ignore[attr-defined]
        assert levels[0] <= CAP[0] + 1e-9
        assert levels[1] <= CAP[1] + 1e-9
        pending = [sum(c[i] for c in self.pending) for i in (0, 1)]
        assert pytest.approx(pending) == entry.pending  # type: ignore[attr-defined]


TokenBudget.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_token_budget = TokenBudget.TestCase
