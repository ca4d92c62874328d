"""One absurd retry-after never closes the shared gate for everyone."""

from __future__ import annotations

import openai
import pytest
from structlog.testing import capture_logs

import resilience_kit as rk
from resilience_kit import ConfigurationError
from resilience_kit._retry._presets import BUILTIN_PRESETS
from resilience_kit.storage import MemoryStorage
from resilience_kit.testing import no_wait
from tests.unit.sdk_errors import openai_error


@pytest.mark.parametrize("hint", ["62291", "1e309", "9" * 400])
def test_absurd_hint_is_not_adopted_by_the_gate(hint: str) -> None:
    """A 429 asking for hours (or forever) fails only its own call; the gate stays open."""
    gate = rk.RateLimitGate("absurd")
    with capture_logs() as logs, pytest.raises(openai.RateLimitError), gate:
        raise openai_error(429, headers={"retry-after": hint})
    assert 0.0 == gate.remaining()
    with no_wait() as waits, gate:
        pass
    assert [] == waits.sleeps
    assert ["gate_hint_refused"] == [e["event"] for e in logs if e["event"].startswith("gate_")]


def test_hint_within_max_block_still_closes_the_gate() -> None:
    """A hint up to max_block is adopted as before."""
    gate = rk.RateLimitGate("normal", max_block=60.0, pace=False)
    with pytest.raises(openai.RateLimitError), gate:
        raise openai_error(429, headers={"retry-after": "30"})
    assert 29.0 < gate.remaining() <= 30.0


def test_default_max_block_matches_the_presets_longest_cap() -> None:
    """The default max_block is the longest max_retry_after among the built-in presets."""
    caps = [policy.max_retry_after for policy in BUILTIN_PRESETS.values()]
    assert max(caps) == rk.RateLimitGate("default").max_block


def test_max_block_is_validated() -> None:
    """max_block must be a finite number of seconds."""
    with pytest.raises(ConfigurationError) as info:
        rk.RateLimitGate("bad", max_block=float("inf"))
    assert "max_block" == info.value.field


class _Busy(MemoryStorage):
    """A shared block that another process extends once more (its own 429) while we wait."""

    def __init__(self) -> None:
        super().__init__()
        self.more = 1

    def gate_remaining(self, name: str) -> float:
        left = super().gate_remaining(name)
        if left == 0.0 and self.more:
            self.more -= 1
            return self.gate_extend(name, 1.0)
        return left


@pytest.mark.parametrize(("max_wait", "admitted"), [(5.0, True), (1.0, False)])
def test_max_wait_bounds_a_callers_whole_wait_not_one_block(
    max_wait: float, *, admitted: bool
) -> None:
    """max_wait above max_block is meaningful: a caller waits out one block, then the next one
    another process set meanwhile (2 s in all, each block 1 s); capped at max_block it fails."""
    storage = _Busy()
    gate = rk.RateLimitGate("busy", storage=storage, max_block=1.0, max_wait=max_wait, pace=False)
    storage.gate_extend("busy", 1.0)
    with no_wait() as waits:
        if admitted:
            with gate:
                pass
        else:
            with pytest.raises(rk.GateClosedError, match="max_wait"), gate:
                pass
    assert ([1.0, 1.0] if admitted else [1.0]) == [round(s, 3) for s in waits.sleeps]
