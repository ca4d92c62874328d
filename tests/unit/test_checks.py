"""Every constructor check speaks one way: ``field: must be <kind> <range>, got <value>``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import resilience_kit as rk
from resilience_kit.testing import FakeLLMServer, Fault

CASES: dict[str, tuple[Callable[[], object], str]] = {
    "breaker threshold": (
        lambda: rk.CircuitBreaker("c", failure_threshold=0),
        "failure_threshold: must be an int >= 1, got 0",
    ),
    "breaker recovery": (
        lambda: rk.CircuitBreaker("c", recovery_timeout=float("inf")),
        "recovery_timeout: must be seconds >= 0 and <= 31622400 (one year), got inf",
    ),
    "breaker name": (lambda: rk.CircuitBreaker(""), "name: must be a non-empty string, got ''"),
    "window rate": (
        lambda: rk.CountWindow(10, failure_rate=2.0),
        "window.failure_rate: must be a number in (0, 1], got 2.0",
    ),
    "bulkhead slots": (lambda: rk.bulkhead(0), "max_concurrent: must be an int >= 1, got 0"),
    "limiter max": (
        lambda: rk.AdaptiveLimiter(2, 3, 2),
        "max: must be an int >= 3, got 2",
    ),
    "fake server chunks": (
        lambda: FakeLLMServer(chunks=0),
        "chunks: must be an int in 1..10000, got 0",
    ),
    "fault delay": (lambda: Fault.delay(-1.0), "seconds: must be a number in [0, 3600), got -1.0"),
    "fault status": (lambda: Fault.status(700), "status_code: must be an int in 100..599, got 700"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_settings_name_the_field_and_the_allowed_range(case: str) -> None:
    """The message names the field, the kind, the allowed range and the value given."""
    build, message = CASES[case]
    with pytest.raises(rk.ConfigurationError) as info:
        build()
    assert message == str(info.value)
