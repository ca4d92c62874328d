"""TokenLimiter: admission against requests and tokens budgets, learned or declared."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import resilience_kit as rk
from resilience_kit import TokenLimiter, _clock
from resilience_kit._throughput._estimate import usage_tokens
from resilience_kit.exceptions import ConfigurationError, GateClosedError
from resilience_kit.storage import MemoryStorage
from resilience_kit.testing import no_wait
from resilience_kit.tokens import Estimate, estimate_tokens
from tests.unit.throughput_helpers import fake_errors, rate_limited

MINUTE = 60.0


class _Server429Error(Exception):
    """A 429 answered by the server."""


def _server_map(exc: BaseException) -> rk.Classification | None:
    if isinstance(exc, _Server429Error):
        category = rk.ErrorCategory.RATE_LIMIT
        return rk.Classification(category, retryable=True, retry_after=0.1, status_code=429)
    return None


def openai_429() -> _Server429Error:
    return _Server429Error("rate_limit from the server")


def headers(
    requests: int, tokens: int, *, limit: tuple[int, int] = (100, 10_000)
) -> dict[str, str]:
    """OpenAI-style rate-limit headers of one answer (full buckets reset in the time they lack)."""
    return {
        "x-ratelimit-limit-requests": str(limit[0]),
        "x-ratelimit-remaining-requests": str(requests),
        "x-ratelimit-reset-requests": f"{(limit[0] - requests) * MINUTE / limit[0]:.3f}s",
        "x-ratelimit-limit-tokens": str(limit[1]),
        "x-ratelimit-remaining-tokens": str(tokens),
        "x-ratelimit-reset-tokens": f"{(limit[1] - tokens) * MINUTE / limit[1]:.3f}s",
    }


def test_estimate_reads_openai_and_anthropic_call_shapes() -> None:
    """Messages at four characters a token plus framing, system text, and max_tokens."""
    openai_call = estimate_tokens(
        model="m", messages=[{"role": "user", "content": "x" * 400}], max_tokens=50
    )
    assert Estimate(104, 50) == openai_call
    parts = [{"role": "user", "content": [{"type": "text", "text": "y" * 40}]}]
    anthropic_call = estimate_tokens(model="m", system="z" * 40, messages=parts, max_tokens=7)
    assert Estimate(24, 7, "system") == anthropic_call
    assert 31 == anthropic_call.total
    assert estimate_tokens("just a prompt") is None


def test_usage_reads_both_providers() -> None:
    """(input, output) from OpenAI's prompt/completion or Anthropic's input/output usage."""
    openai_usage = SimpleNamespace(usage=SimpleNamespace(prompt_tokens=10, completion_tokens=3))
    assert (10, 3) == usage_tokens(openai_usage)
    assert (5, 2) == usage_tokens({"usage": {"input_tokens": 5, "output_tokens": 2}})
    assert usage_tokens(object()) is None


def test_declared_tpm_holds_back_the_call_that_does_not_fit() -> None:
    """tpm=1000: two calls of 600 tokens; the second waits until 200 more have refilled."""
    limiter = TokenLimiter(tpm=1000, cost=lambda n: n)

    @limiter
    def call(n: int) -> int:
        return n

    with no_wait() as waited:
        call(600)
        assert 0 == waited.count
        call(600)
    assert [pytest.approx(200 / (1000 / MINUTE), abs=0.05)] == waited.sleeps


def test_declared_rpm_spaces_calls_beyond_the_bucket() -> None:
    """rpm=2: the third call in a burst waits half a minute."""
    limiter = TokenLimiter(rpm=2)
    with no_wait() as waited:
        for _ in range(3):
            with limiter:
                pass
    assert [pytest.approx(30.0, abs=0.05)] == waited.sleeps


def test_headers_set_the_level_for_what_was_sent_since() -> None:
    """An answer saying 0 tokens remain makes the next call wait for its own tokens."""
    limiter = TokenLimiter(cost=lambda n, _: n)

    @limiter
    def call(n: int, remaining: int) -> int:
        limiter.observe_headers(headers(99, remaining))
        return n

    with no_wait() as waited:
        call(100, 9_900)  # the probe: learns 100 RPM / 10,000 TPM, full buckets
        assert (100.0, 10_000.0) == limiter.limits
        call(100, 0)  # the server says the tokens are gone
        call(500, 0)
    assert 1 == waited.count
    assert pytest.approx(500 / (10_000 / MINUTE), abs=0.05) == waited.sleeps[0]


def test_a_rate_limited_call_gives_its_reservation_back() -> None:
    """A 429 was not charged: the tokens it reserved are free again."""
    limiter = TokenLimiter(tpm=1000, cost=lambda n, **_: n)

    @limiter
    def call(n: int, *, fail: bool) -> int:
        if fail:
            raise rate_limited(1.0)
        return n

    with no_wait() as waited, fake_errors():
        with pytest.raises(Exception, match="rate_limit"):
            call(900, fail=True)
        call(900, fail=False)
    assert 0 == waited.count


def test_usage_corrects_the_estimate() -> None:
    """An answer that used fewer tokens than estimated refunds the difference."""
    limiter = TokenLimiter(tpm=1000)

    @limiter
    def call(messages: list[Any], max_tokens: int) -> Any:
        return {"usage": {"prompt_tokens": 10, "completion_tokens": 1}}

    big = [{"role": "user", "content": "x" * 2400}]  # estimated 604 prompt tokens, used 10
    with no_wait() as waited:
        call(messages=big, max_tokens=10)
        call(messages=big, max_tokens=10)
    assert 0 == waited.count


def test_without_headers_it_stands_aside_and_gates_429s() -> None:
    """No rate-limit headers: no pacing; a 429 with a hint holds the next caller for it."""
    limiter = TokenLimiter()

    @limiter
    def call(*, fail: bool) -> None:
        if fail:
            raise rate_limited(2.0)

    with no_wait() as waited, fake_errors():
        call(fail=False)  # the probe: an answer without headers
        for _ in range(5):
            call(fail=False)
        assert 0 == waited.count
        with pytest.raises(Exception, match="rate_limit"):
            call(fail=True)
        call(fail=False)
    assert [pytest.approx(2.0, abs=0.05)] == waited.sleeps


def test_max_wait_refuses_and_frees_the_reservation() -> None:
    """A wait beyond max_wait raises GateClosedError and takes nothing from the budget."""
    limiter = TokenLimiter(rpm=1, max_wait=5.0)
    with no_wait() as waited:
        with limiter:
            pass
        for _ in range(2):
            with pytest.raises(GateClosedError), limiter:
                pass
    assert 0 == waited.count


def test_async_calls_share_the_budget() -> None:
    """Async callers reserve from the same buckets and never block the loop."""
    limiter = TokenLimiter(rpm=2)

    @limiter
    async def call() -> int:
        await asyncio.sleep(0)
        return 1

    async def main() -> list[int]:
        return await asyncio.gather(*(call() for _ in range(4)))

    with no_wait() as waited:
        assert [1, 1, 1, 1] == asyncio.run(main())
    # virtual time: the fourth caller reserves after the third's 30 s have passed
    assert [pytest.approx(30.0, abs=0.05)] * 2 == waited.sleeps


def test_resilient_takes_tokens() -> None:
    """resilient(tokens=...) admits each attempt through the limiter (a wait that fits the
    default preset's 45 s deadline)."""
    limiter = TokenLimiter(rpm=1, period=30.0)
    calls: list[int] = []

    @rk.resilient("default", tokens=limiter)
    def call() -> None:
        calls.append(1)

    with no_wait() as waited:
        call()
        call()
    assert 2 == len(calls)
    assert [pytest.approx(30.0, abs=0.05)] == waited.sleeps


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: TokenLimiter(rpm=0), "rpm"),
        (lambda: TokenLimiter(tpm=-1), "tpm"),
        (lambda: TokenLimiter(period=0), "period"),
        (lambda: TokenLimiter(cost=3), "cost"),  # type: ignore[arg-type]
        (lambda: TokenLimiter(max_wait=-1), "max_wait"),
        (lambda: TokenLimiter(max_wait=float("inf")), "max_wait"),
        (lambda: TokenLimiter(period=float("inf")), "period"),
        (lambda: TokenLimiter(storage="redis"), "storage"),  # type: ignore[arg-type]
        (lambda: rk.resilient(tokens=object()), "tokens"),  # type: ignore[arg-type]
        (lambda: rk.observe(object(), TokenLimiter()), "client"),
        (lambda: rk.observe(object(), object()), "limiter"),  # type: ignore[arg-type]
    ],
)
def test_bad_configuration_names_the_field(make: Any, field: str) -> None:
    """Invalid settings fail at construction with the field's name."""
    with pytest.raises(ConfigurationError, match=field):
        make()


def test_bad_cost_result_names_cost() -> None:
    """A cost function returning a non-int is a ConfigurationError naming cost."""
    limiter = TokenLimiter(cost=lambda: "many")  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigurationError, match="cost"):
        limiter(lambda: None)()


def test_memory_storage_levels() -> None:
    """take/learn/settle keep the documented arithmetic: a take is whole or nothing."""
    storage = MemoryStorage(clock=lambda: 0.0)
    rate, cap = (1.0, 10.0), (5.0, 100.0)
    first = storage.tokens_take("t", cost=(1, 60), rate=rate, cap=cap)
    assert (0.0, (1.0, 60.0)) == (first.wait, first.sent)
    second = storage.tokens_take("t", cost=(1, 60), rate=rate, cap=cap)
    assert (2.0, None) == (second.wait, second.sent)  # 20 tokens short at 10 a second
    storage.tokens_settle("t", level=(0, 30), sent=(0, 0), rate=rate, cap=cap)
    third = storage.tokens_take("t", cost=(1, 60), rate=rate, cap=cap)
    assert (0.0, (2.0, 120.0)) == (third.wait, third.sent)
    storage.tokens_learn("t", remaining=(3, 30), age=0.0, sent=(2, 120), rate=rate, cap=cap)
    assert 2.0 == storage.tokens_take("t", cost=(1, 50), rate=rate, cap=cap).wait
    assert 7.0 == storage.tokens_take("t", cost=(1, 500), rate=rate, cap=cap).wait  # a full bucket


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=25))
def test_admissions_stay_within_bucket_plus_refill(costs: list[int]) -> None:
    """Over any span of admissions, tokens and requests stay within the bucket plus its refill."""
    limiter = TokenLimiter(rpm=10, tpm=1000, cost=lambda n: n)
    times: list[float] = []

    @limiter
    def call(n: int) -> None:
        times.append(_clock.monotonic())

    with no_wait():
        for cost in costs:
            call(cost)
    slack = 0.05  # real time between a caller's admission and its time stamp
    for i in range(len(costs)):
        for j in range(i, len(costs)):
            span = times[j] - times[i] + slack
            assert sum(costs[i : j + 1]) <= 1000 + 1000 / MINUTE * span + 1e-6
            assert j - i + 1 <= 10 + 10 / MINUTE * span + 1e-6


def test_unpredicted_429s_shrink_the_share_and_successes_restore_it() -> None:
    """An unpredicted 429 (others spend the key) uses 10% less; successes win it back."""
    limiter = TokenLimiter(cost=lambda n, **_: n)

    @limiter
    def call(n: int, *, fail: bool = False) -> int:
        limiter.observe_headers(headers(50, 5_000))
        if fail:
            raise openai_429()
        return n

    unregister = rk.register_exception_map(_server_map, name="tokens-server-429")
    try:
        with no_wait():
            call(10)  # the probe learns the limits
            with pytest.raises(_Server429Error):
                call(10, fail=True)
            assert pytest.approx(0.9) == limiter.share
            for _ in range(50):
                call(10)
    finally:
        unregister()
    assert pytest.approx(1.0) == limiter.share
