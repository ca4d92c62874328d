"""One absurd retry-after never closes the shared gate for everyone."""

from __future__ import annotations

import openai
import pytest
from structlog.testing import capture_logs

import resilience_kit as rk
from resilience_kit import ConfigurationError
from resilience_kit._retry._presets import BUILTIN_PRESETS
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
