"""Circuit-breaker configuration is validated at construction, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

import resilience_kit as rk


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"failure_threshold": 0}, "failure_threshold"),
        ({"failure_threshold": True}, "failure_threshold"),
        ({"recovery_timeout": -1.0}, "recovery_timeout"),
        ({"recovery_timeout": float("inf")}, "recovery_timeout"),
        ({"half_open_max_calls": 0}, "half_open_max_calls"),
        ({"success_threshold": 0}, "success_threshold"),
        ({"slow_call_threshold": 0.0}, "slow_call_threshold"),
        ({"failure_categories": "server"}, "failure_categories"),
        ({"failure_categories": ["servr"]}, "failure_categories"),
        ({"is_failure": 3}, "is_failure"),
        ({"recovery_backoff": 0.5}, "recovery_backoff"),
        ({"recovery_timeout": 10.0, "max_recovery_timeout": 5.0}, "max_recovery_timeout"),
        ({"recovery_jitter": 1.0}, "recovery_jitter"),
        ({"sync_interval": -0.1}, "sync_interval"),
        ({"probe_lease": 0.0}, "probe_lease"),
        ({"storage": object()}, "storage"),
        ({"listeners": [None]}, "listeners"),
        ({"window": 20}, "window"),
    ],
)
def test_invalid_option_names_field(options: dict[str, Any], field: str) -> None:
    """Each invalid option raises ConfigurationError naming the field and the allowed range."""
    with pytest.raises(rk.ConfigurationError) as info:
        rk.CircuitBreaker("cfg", **options)
    assert field == info.value.field
    assert field in str(info.value)


@pytest.mark.parametrize(
    ("factory", "field", "message"),
    [
        (lambda: rk.CountWindow(size=0), "window.size", ">= 1"),
        (lambda: rk.CountWindow(size=10, failure_rate=0.0), "window.failure_rate", "(0, 1]"),
        (lambda: rk.CountWindow(size=10, failure_rate=1.5), "window.failure_rate", "(0, 1]"),
        (lambda: rk.CountWindow(size=10, minimum_calls=11), "window.minimum_calls", "1 and"),
        (lambda: rk.TimeWindow(seconds=0.0), "window.seconds", "> 0"),
        (lambda: rk.TimeWindow(seconds=60, minimum_calls=0), "window.minimum_calls", ">= 1"),
    ],
)
def test_invalid_window_names_field(factory: Any, field: str, message: str) -> None:
    """Window configs validate on construction and name the field and range."""
    with pytest.raises(rk.ConfigurationError) as info:
        factory()
    assert field == info.value.field
    assert message in str(info.value)


def test_empty_name_rejected() -> None:
    """A breaker needs a name (it keys shared state and logs)."""
    with pytest.raises(rk.ConfigurationError, match="name"):
        rk.CircuitBreaker("")


def test_defaults_match_the_design() -> None:
    """Defaults: 5 consecutive failures, 30 s open, one probe, categories from the design."""
    breaker = rk.CircuitBreaker("defaults")
    assert rk.CircuitState.CLOSED == breaker.state
    options = breaker.snapshot().options
    assert options == breaker.options == rk.BreakerOptions()
    assert 5 == options.failure_threshold
    assert 30.0 == options.recovery_timeout
    assert 300.0 == options.max_recovery_timeout
    assert 1 == options.half_open_max_calls
    expected = {"server", "overloaded", "timeout", "connection", "quota"}
    assert expected == {c.value for c in options.failure_categories}


def test_failure_categories_take_values_as_retry_on_does() -> None:
    """``failure_categories={"server"}`` means ErrorCategory.SERVER, as in ``retry_on``."""
    breaker = rk.CircuitBreaker("by-value", failure_categories={"server", rk.ErrorCategory.QUOTA})
    expected = {rk.ErrorCategory.SERVER, rk.ErrorCategory.QUOTA}
    assert expected == set(breaker.snapshot().options.failure_categories)


def test_durations_are_at_most_a_year() -> None:
    """A recovery_timeout of 1e9 s is refused at construction, naming the range."""
    with pytest.raises(rk.ConfigurationError) as info:
        rk.CircuitBreaker("forever", recovery_timeout=1e9)
    assert "recovery_timeout" in str(info.value)
    assert "year" in str(info.value)
