"""The kit's own refusals are classified as the kit's, and retry says so when it gives up."""

from __future__ import annotations

import pytest

import resilience_kit as rk
from resilience_kit.testing import no_wait


@pytest.mark.parametrize(
    "exc",
    [rk.CircuitOpenError("llm", 5.0), rk.GateClosedError("tokens", 180.0)],
    ids=["circuit", "gate"],
)
def test_the_kits_refusals_name_the_kit(exc: Exception) -> None:
    """No provider answered an open circuit or a closed gate: the classification names the kit."""
    assert "resilience_kit" == rk.classify(exc).provider


def test_a_long_kit_wait_is_not_blamed_on_the_server() -> None:
    """A token limiter's wait beyond max_retry_after gives up naming the kit, not the server."""
    calls = 0

    @rk.retry("default", max_retry_after=60.0)
    def ask() -> None:
        nonlocal calls
        calls += 1
        raise rk.GateClosedError("tokens", 181.0)

    with no_wait(), pytest.raises(rk.GateClosedError) as caught:
        ask()
    assert 1 == calls
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "the kit's rate limit (gate or token limiter) asked to wait 181s" in notes
    assert "the server asked" not in notes
