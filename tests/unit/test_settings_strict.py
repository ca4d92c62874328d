"""Every bad setting is refused at construction with a ConfigurationError naming the field."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import pytest

import resilience_kit as rk
from resilience_kit import ConfigurationError
from resilience_kit._retry._presets import _reset_for_tests

INF = math.inf

BAD: list[tuple[str, Callable[[], object], str]] = [
    ("gate storage", lambda: rk.RateLimitGate("g", storage="redis"), "storage"),  # type: ignore[arg-type]
    ("budget storage", lambda: rk.RetryBudget(storage="redis"), "storage"),  # type: ignore[arg-type]
    ("gate window", lambda: rk.RateLimitGate("g", window=INF), "window"),
    ("gate max_wait", lambda: rk.RateLimitGate("g", max_wait=INF), "max_wait"),
    ("gate pace", lambda: rk.RateLimitGate("g", pace="no"), "pace"),  # type: ignore[arg-type]
    ("limiter max_wait", lambda: rk.AdaptiveLimiter(max_wait=INF), "max_wait"),
    ("limiter decrease_on", lambda: rk.AdaptiveLimiter(decrease_on=5), "decrease_on"),  # type: ignore[arg-type]
    ("bulkhead max_wait", lambda: rk.bulkhead(1, max_wait=1e10), "max_wait"),
    ("retry jitter", lambda: rk.retry(jitter=INF), "jitter"),
    (
        "retry waits",
        lambda: rk.retry(initial_wait=1e10, max_wait=1e10, deadline=None),
        "initial_wait",
    ),
    ("breaker listeners fn", lambda: rk.CircuitBreaker("b", listeners=print), "listeners"),  # type: ignore[arg-type]
    ("breaker listeners int", lambda: rk.CircuitBreaker("b", listeners=5), "listeners"),  # type: ignore[arg-type]
    ("fallback on", lambda: rk.fallback(default=None, on=5), "on"),  # type: ignore[call-overload]
    ("retry max_attempts bool", lambda: rk.retry(max_attempts=True), "max_attempts"),
    ("retry max_attempts str", lambda: rk.retry(max_attempts="3"), "max_attempts"),
    ("retry respect str", lambda: rk.retry(respect_retry_after="yes"), "respect_retry_after"),
    ("retry deadline str", lambda: rk.retry(deadline="45"), "deadline"),
    ("budget window", lambda: rk.RetryBudget(window=INF), "window"),
    ("budget ratio", lambda: rk.RetryBudget(ratio=INF), "ratio"),
    ("timeout", lambda: rk.timeout(INF), "seconds"),
    ("resilient timeout", lambda: rk.resilient(timeout=1e10), "timeout"),
]


@pytest.fixture(autouse=True)
def _presets() -> Iterator[None]:
    yield
    _reset_for_tests()


@pytest.mark.parametrize(("case", "build", "field"), BAD, ids=[case for case, _, _ in BAD])
def test_bad_setting_is_refused_naming_the_field(
    case: str, build: Callable[[], object], field: str
) -> None:
    """The bad value raises ConfigurationError at construction, naming the field and its range."""
    with pytest.raises(ConfigurationError) as info:
        build()
    assert field == info.value.field
    assert f"{field}: must be" in str(info.value)


def test_environment_infinity_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """RESILIENCE_KIT_OPENAI_JITTER=inf fails at decoration, naming the variable."""
    monkeypatch.setenv("RESILIENCE_KIT_OPENAI_JITTER", "inf")
    with pytest.raises(ConfigurationError) as info:
        rk.retry("openai")
    assert "RESILIENCE_KIT_OPENAI_JITTER" == info.value.field


def test_misspelled_environment_variable_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelled RESILIENCE_KIT_OPENAI_MAX_ATEMPTS is an error listing the allowed names."""
    monkeypatch.setenv("RESILIENCE_KIT_OPENAI_MAX_ATEMPTS", "2")
    with pytest.raises(ConfigurationError) as info:
        rk.retry("openai")
    assert "RESILIENCE_KIT_OPENAI_MAX_ATEMPTS" == info.value.field
    assert "RESILIENCE_KIT_OPENAI_MAX_ATTEMPTS" in str(info.value)


def test_a_longer_preset_name_is_not_a_misspelling(monkeypatch: pytest.MonkeyPatch) -> None:
    """RESILIENCE_KIT_OPENAI_FAST_* belongs to preset openai_fast, not a typo for openai."""
    rk.register_preset("openai_fast", rk.RetryPolicy(max_attempts=2))
    monkeypatch.setenv("RESILIENCE_KIT_OPENAI_FAST_MAX_ATTEMPTS", "3")
    assert 6 == rk.get_preset("openai").max_attempts
    assert 3 == rk.get_preset("openai_fast").max_attempts


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("off", False)])
def test_environment_bool_is_parsed_explicitly(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    """Environment text is parsed by the field's type: true/false, 1/0, on/off."""
    monkeypatch.setenv("RESILIENCE_KIT_OPENAI_RESPECT_RETRY_AFTER", raw)
    assert expected is rk.get_preset("openai").respect_retry_after


def test_policy_accepts_ints_for_seconds() -> None:
    """Strict, but an int is a number of seconds: deadline=5 is 5.0."""
    assert 5.0 == rk.RetryPolicy(deadline=5).deadline
