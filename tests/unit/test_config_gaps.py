"""Configuration a user gets wrong is refused at decoration or construction, naming the field."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit.testing import no_wait


def _keywords(function: Any) -> list[str]:
    return [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]


POLICY_FIELDS = list(rk.RetryPolicy.model_fields)


@pytest.mark.parametrize(
    ("make", "typo", "meant", "function"),
    [
        (lambda: rk.resilient("openai", tokenz=1), "tokenz", "tokens", rk.resilient),
        (lambda: rk.resilient("openai", breakr=None), "breakr", "breaker", rk.resilient),
        (
            lambda: rk.resilient("openai", max_atempts=3),
            "max_atempts",
            "max_attempts",
            rk.resilient,
        ),
        (lambda: rk.retry("openai", max_attempt=3), "max_attempt", "max_attempts", rk.retry),
        (lambda: rk.retry("openai", on_retri=print), "on_retri", "on_retry", rk.retry),
    ],
)
def test_unknown_keyword_lists_every_accepted_keyword(
    make: Any, typo: str, meant: str, function: Any
) -> None:
    """The error names the typo, the closest keyword, and all the function's keywords and fields."""
    with pytest.raises(rk.ConfigurationError) as caught:
        make()
    message = str(caught.value)
    assert typo == caught.value.field
    assert f"did you mean {meant}?" in message
    for keyword in [*_keywords(function), *POLICY_FIELDS]:
        assert keyword in message


def test_resilient_accepts_every_keyword_it_lists() -> None:
    """What the message lists is accepted: the layers and the policy fields together."""
    decorated = rk.resilient(
        "openai",
        tokens=rk.TokenLimiter(),
        gate=rk.RateLimitGate("g"),
        breaker=rk.CircuitBreaker("b"),
        max_attempts=2,
    )(lambda: 7)
    with no_wait():
        assert 7 == decorated()


@pytest.mark.parametrize(
    "make",
    [
        lambda: rk.retry("openai")(42),
        lambda: rk.retry()("not a function"),
        lambda: rk.resilient("openai")(None),
        lambda: rk.resilient("openai", max_attempts=2)(3.5),
    ],
)
def test_decorating_a_non_callable_is_a_type_error(make: Any) -> None:
    """Decorating something that cannot be called fails at decoration, naming its type."""
    with pytest.raises(
        TypeError, match=r"can only decorate a callable, got (int|str|NoneType|float)$"
    ):
        make()


def test_gate_max_block_zero_is_refused() -> None:
    """max_block=0 would refuse every hint (hints are > 0): refused with the allowed range."""
    with pytest.raises(rk.ConfigurationError, match=r"^max_block: must be seconds > 0") as caught:
        rk.RateLimitGate("g", max_block=0)
    assert "max_block" == caught.value.field
    assert 0.5 == rk.RateLimitGate("g", max_block=0.5).max_block


def test_max_retry_after_zero_gives_up_on_hinted_failures_only() -> None:
    """max_retry_after=0 is meaningful: a hinted 429 gives up at once, a hintless one backs off."""
    calls: list[int] = []

    class LimitedError(Exception):
        def __init__(self, retry_after: float | None) -> None:
            super().__init__("limited")
            self.status_code = 429
            self.headers = {} if retry_after is None else {"retry-after": str(retry_after)}

    @rk.retry(max_attempts=3, max_retry_after=0)
    def hinted() -> None:
        calls.append(1)
        raise LimitedError(2)

    @rk.retry(max_attempts=3, max_retry_after=0)
    def hintless() -> None:
        calls.append(2)
        raise LimitedError(None)

    with no_wait(), pytest.raises(LimitedError):
        hinted()
    with no_wait(), pytest.raises(LimitedError):
        hintless()
    assert [1, 2, 2, 2] == calls


def test_a_breaker_names_what_it_cannot_guard_by_type() -> None:
    """A string passed where a function belongs may be a key: the error names its type only."""
    breaker: Any = rk.CircuitBreaker("types")
    with pytest.raises(TypeError, match=r"can only guard a callable, got str$") as caught:
        breaker("sk-proj-abcdefghijklmnopqrstuvwx")
    assert "sk-proj" not in str(caught.value)
