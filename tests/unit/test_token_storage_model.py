"""Model-based test of MemoryStorage token budgets: random take/settle/learn/advance sequences."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from resilience_kit.storage import MemoryStorage

RATE, CAP = (2.0, 100.0, 20.0), (10.0, 1000.0, 200.0)  # requests, input tokens, output tokens
LIMITS = range(len(RATE))
amounts = st.tuples(st.integers(0, 3), st.integers(0, 1200), st.integers(0, 250))


class TokenBudget(RuleBasedStateMachine):
    """A take is charged whole or not at all and waits exactly until the whole cost fits; levels
    refill up to the caps; settlements and answers move them as documented; counters add up."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.storage = MemoryStorage(clock=lambda: self.now)
        self.levels = list(CAP)  # the model: a new budget starts full
        self.sent = [0.0, 0.0, 0.0]

    def want(self, cost: tuple[float, ...]) -> float:
        """Seconds until *cost* fits every limit in the model (above a cap: a full bucket)."""
        short = [min(cost[i], CAP[i]) - self.levels[i] for i in LIMITS]
        return max([short[i] / RATE[i] for i in LIMITS if short[i] > 0], default=0.0)

    @rule(cost=amounts)
    def take(self, cost: tuple[int, int, int]) -> None:
        wanted = self.want(cost)
        got = self.storage.tokens_take("m", cost=cost, rate=RATE, cap=CAP)
        assert pytest.approx(wanted, abs=1e-6) == got.wait
        if got.sent is None:
            assert got.wait > 0  # told to wait: nothing was taken
            return
        self.levels = [self.levels[i] - cost[i] for i in LIMITS]
        self.sent = [self.sent[i] + cost[i] for i in LIMITS]
        assert pytest.approx(self.sent) == list(got.sent)

    @rule(seconds=st.floats(0.0, 30.0))
    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.levels = [min(CAP[i], self.levels[i] + seconds * RATE[i]) for i in LIMITS]

    @rule(refund=amounts, charge=st.booleans())
    def settle(self, refund: tuple[int, int, int], charge: bool) -> None:
        level = tuple(-x if charge else x for x in refund)
        self.storage.tokens_settle("m", level=level, sent=(0.0,) * 3, rate=RATE, cap=CAP)
        self.levels = [min(CAP[i], self.levels[i] + level[i]) for i in LIMITS]

    @rule(remaining=amounts, age=st.floats(0.0, 5.0))
    def learn(self, remaining: tuple[int, int, int], age: float) -> None:
        sent = tuple(self.sent)  # the answer to the last take: nothing sent since
        self.storage.tokens_learn("m", remaining=remaining, age=age, sent=sent, rate=RATE, cap=CAP)
        self.levels = [min(CAP[i], remaining[i] + RATE[i] * age) for i in LIMITS]

    @invariant()
    def levels_within_caps_and_counters_add_up(self) -> None:
        assert all(self.levels[i] <= CAP[i] + 1e-9 for i in LIMITS)
        free = self.storage.tokens_take("m", cost=(0.0,) * 3, rate=RATE, cap=CAP)
        assert pytest.approx(self.want((0.0,) * 3), abs=1e-6) == free.wait
        if free.sent is not None:  # a take of nothing fits unless a level is below zero
            assert pytest.approx(self.sent) == list(free.sent)


TokenBudget.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_token_budget = TokenBudget.TestCase
