"""The gate's pacer under any sequence of 429s, successes, reservations and clock jumps (back
and forward): a reserved wait never exceeds what the pacer itself scheduled."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from resilience_kit._throughput._gate import _COOLDOWN_WINDOWS, _Pacer

WINDOW = 1.0
hints = st.floats(min_value=0.01, max_value=30.0, allow_nan=False)
steps = st.floats(min_value=0.0, max_value=5.0, allow_nan=False)
jumps = st.floats(min_value=-2e9, max_value=2e9, allow_nan=False)


class PacerModel(RuleBasedStateMachine):
    """Tracks what the pacer scheduled since its last 429: the hint plus one spacing of at most
    ``WINDOW`` (the slowest pace) per reservation; no wait may be longer."""

    def __init__(self) -> None:
        super().__init__()
        self.pacer = _Pacer(WINDOW)
        self.now = 1000.0
        self.hint = 0.0
        self.reserved = 0
        self.last_wait = 0.0
        self.told = self.now  # the last time given to the pacer (its view of the clock)

    @rule(hint=hints, limit=st.sampled_from([None, "requests", "tokens"]))
    def rate_limited(self, hint: float, limit: str | None) -> None:
        before = self.pacer.epoch
        self.told = self.now
        self.pacer.limited(self.now, hint, None, limit)
        if self.pacer.epoch != before:  # a cut: the schedule restarts at now + hint
            self.hint, self.reserved, self.last_wait = hint, 0, 0.0

    @rule()
    def success(self) -> None:
        self.told = self.now
        self.pacer.success(self.now)

    @rule()
    def reserve(self) -> None:
        self.told = self.now
        self.last_wait, _ = self.pacer.reserve(self.now)
        self.reserved += 1

    @rule(seconds=steps)
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @rule(seconds=jumps)
    def clock_jumps(self, seconds: float) -> None:
        self.now += seconds

    @invariant()
    def waits_stay_within_the_schedule(self) -> None:
        assert 0.0 <= self.last_wait <= self.hint + self.reserved * WINDOW + 1e-6

    @precondition(lambda self: self.pacer.rate is not None)
    @rule()
    def quiet_windows_end_pacing(self) -> None:
        """Ten quiet windows on the pacer's clock (a jump back it was not told of is no time)."""
        self.now = max(self.now, self.told) + _COOLDOWN_WINDOWS * WINDOW + 0.01
        self.told = self.now
        wait, _ = self.pacer.reserve(self.now)
        assert (0.0, None) == (wait, self.pacer.rate)
        self.last_wait = wait


TestPacerModel = PacerModel.TestCase
TestPacerModel.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
