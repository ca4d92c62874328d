"""A model of TokenLimiter admission and settlement (hypothesis stateful).

Streams are admitted with declared limits, then end in any order: answered, rate limited (their
tokens come back), cancelled (closed: the server counted them), each step possibly in a fresh
copy of the context; some starts are refused by ``max_wait``. The model is one token bucket: every
admission must wait exactly what the bucket says, a refusal must not wait at all, and at the end
every stream is settled once (nothing held, nothing leaked).
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import resilience_kit as rk
from resilience_kit import _clock
from resilience_kit.testing import NoWait, no_wait
from tests.unit.throughput_helpers import fake_errors, rate_limited

TPM = 1_000
RATE = TPM / 60.0
MAX_WAIT = 30.0


def _cost(cost: int, key: int) -> int:
    return cost


class TokenModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.stack = contextlib.ExitStack()
        self.waits: NoWait = self.stack.enter_context(no_wait())
        self.stack.enter_context(fake_errors())
        self.limiter = rk.TokenLimiter(rpm=10**6, tpm=TPM, cost=_cost, max_wait=MAX_WAIT)
        self.level = float(TPM)
        self.stamp = _clock.monotonic()
        self.open: dict[int, tuple[Iterator[int], int]] = {}
        self.next_key = 0
        self.ended: list[int] = []

        @self.limiter
        def stream(cost: int, key: int) -> Iterator[int]:
            try:
                yield cost
                yield cost
            finally:
                self.ended.append(key)

        self.stream = stream

    def _refill(self) -> None:
        now = _clock.monotonic()
        self.level = min(float(TPM), self.level + RATE * (now - self.stamp))
        self.stamp = now

    @staticmethod
    def _runner(fresh: bool) -> Callable[..., Any]:
        return contextvars.copy_context().run if fresh else (lambda fn, *args: fn(*args))

    @rule(cost=st.integers(1, 1_500), fresh=st.booleans())
    def start(self, cost: int, fresh: bool) -> None:
        self._refill()
        wait = max(min(cost, TPM) - self.level, 0.0) / RATE
        before = self.waits.total
        key = self.next_key
        self.next_key += 1
        gen = self.stream(cost, key)
        run = self._runner(fresh)
        if wait > MAX_WAIT + 0.2:
            with pytest.raises(rk.GateClosedError):
                run(next, gen)
            assert before == self.waits.total  # refused at once, never after a wait
            return
        if wait > MAX_WAIT - 0.2:
            return  # too close to the bound to predict with real time passing
        assert cost == run(next, gen)
        assert pytest.approx(wait, abs=0.2) == self.waits.total - before
        self._refill()
        self.level -= cost
        self.open[key] = (gen, cost)

    @precondition(lambda self: bool(self.open))
    @rule(data=st.data(), how=st.sampled_from(["answered", "rate_limited", "cancelled"]))
    def end(self, data: st.DataObject, how: str) -> None:
        key = data.draw(st.sampled_from(sorted(self.open)))
        gen, cost = self.open.pop(key)
        run = self._runner(data.draw(st.booleans()))
        if how == "answered":
            assert cost == run(next, gen)
            assert "end" == run(next, gen, "end")
        elif how == "rate_limited":
            with pytest.raises(type(rate_limited())):
                run(gen.throw, rate_limited())
            self._refill()
            self.level = min(float(TPM), self.level + cost)  # the server did not count it
        else:
            run(gen.close)
        assert key in self.ended

    @invariant()
    def every_ended_stream_is_settled_once(self) -> None:
        assert len(self.ended) == len(set(self.ended))

    def teardown(self) -> None:
        try:
            for gen, _ in self.open.values():
                gen.close()
            # Nothing held: a call of the whole bucket waits only what the refill needs.
            self._refill()
            self.open.clear()
            want = max(TPM - self.level, 0.0) / RATE
            before = self.waits.total
            if want <= MAX_WAIT - 0.2:
                gen = self.stream(TPM, -1)
                assert TPM == next(gen)
                assert pytest.approx(want, abs=0.2) == self.waits.total - before
                gen.close()
            assert not math.isnan(self.level)
        finally:
            self.stack.close()


TokenModel.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
test_token_admission_and_settlement = TokenModel.TestCase
