"""TokenLimiter: the first answer's refill, the time kept for the call, the refusal's words."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit.storage import MemoryStorage
from resilience_kit.testing import no_wait

_BODY = {"model": "m", "messages": [{"role": "user", "content": "x" * 16_000}], "max_tokens": 2000}
_FIRST = {  # a bucket of 10,000 tokens refilled every 6 s, after a call of about 6,000 tokens
    "x-ratelimit-limit-requests": "400",
    "x-ratelimit-remaining-requests": "399",
    "x-ratelimit-reset-requests": "15ms",
    "x-ratelimit-limit-tokens": "10000",
    "x-ratelimit-remaining-tokens": "3992",
    "x-ratelimit-reset-tokens": "3.605s",
}


def test_the_first_answer_alone_tells_the_refill() -> None:
    """A call without an estimate of its own (no arguments) is charged what its request's body
    says: the first answer's ``(bucket - remaining) / reset`` bounds the refill, so the second
    call waits about 1.2 s for its 6,000 tokens, not the 12 s a per-minute refill would take."""
    limiter = rk.TokenLimiter()

    @limiter
    def ask() -> None:
        limiter.observe_request(_BODY)  # what observe() tells it as the request goes out
        limiter.observe_headers(_FIRST)

    with no_wait() as waits:
        ask()
        ask()
    assert 1.0 <= waits.total <= 1.5
    assert limiter.limits == (400.0, 10_000.0)


def _tokens(tokens: int) -> int:
    return tokens


def test_a_wait_leaves_the_call_the_time_such_calls_take() -> None:
    """Calls take 0.6 s; with a 1.0 s timeout a wait of 0.6 s would leave the call 0.4 s: it is
    refused at once (the server would have done the work for an answer the timeout discards),
    naming the time kept; a wait of 0.3 s still fits."""
    limiter = rk.TokenLimiter(tpm=1000, cost=_tokens)  # 16.67 tokens a second

    with no_wait() as waits:

        @rk.resilient("openai", tokens=limiter, timeout=1.0, max_attempts=1)
        async def ask(tokens: int) -> int:
            waits.record(0.6)  # the call itself takes 0.6 s (virtual time)
            await asyncio.sleep(0)
            return tokens

        async def run() -> None:
            await ask(1000)  # empties the bucket; 10 tokens are back when it ends
            with pytest.raises(rk.GateClosedError) as refused:
                await ask(20)  # 0.6 s away
            assert refused.value.retry_after == pytest.approx(0.6, rel=0.01)
            assert "the attempt's timeout (keeping 0.600s for the call itself)" in str(
                refused.value
            )
            assert await ask(15) == 15  # 0.3 s away: fits

        asyncio.run(run())
    assert waits.sleeps == pytest.approx([0.6, 0.3, 0.6], rel=0.01)


@pytest.mark.parametrize(
    ("max_wait", "deadline", "words"),
    [(1.0, None, "(waiting would pass max_wait)"), (None, 2.0, "the call's deadline")],
)
def test_the_refusal_names_the_token_limiter_and_the_bound(
    max_wait: float | None, deadline: float | None, words: str
) -> None:
    """A refused wait raises the ``GateClosedError`` users catch, with its ``retry_after``; the
    message names the token limiter and the bound that stopped the wait."""
    limiter = rk.TokenLimiter(tpm=1000, cost=_tokens, max_wait=max_wait)

    @rk.resilient("openai", tokens=limiter, deadline=deadline, max_attempts=1)
    def ask(tokens: int) -> int:
        return tokens

    with no_wait():
        ask(1000)
        with pytest.raises(rk.GateClosedError) as refused:
            ask(500)  # 30 s of refill away
    assert refused.value.retry_after == pytest.approx(30.0, rel=0.01)
    message = str(refused.value)
    assert message.startswith("token limiter 'tokens' cannot admit the call in time; retry in ")
    assert words in message
    assert "gate" not in message


class _SaysWhenWaiting(MemoryStorage):
    """A MemoryStorage that tells when it answered a take with a wait."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def tokens_take(self, name: str, *, cost: Any, rate: Any, cap: Any) -> Any:
        got = super().tokens_take(name, cost=cost, rate=rate, cap=cap)
        if got.sent is None:
            self.waiting.set()
        return got


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_caller_waiting_for_tokens_replans_when_an_answer_comes(kind: str) -> None:
    """A caller that computed a 30 s wait from the declared limits is woken by the answer of the
    call in flight, which says the bucket is nearly full again, and goes at once (it slept the
    whole 30 s before)."""
    storage = _SaysWhenWaiting()
    limiter = rk.TokenLimiter(tpm=600, cost=_tokens, storage=storage)  # 10 tokens a second
    answer = threading.Event()
    full = {
        "x-ratelimit-limit-tokens": "600",
        "x-ratelimit-remaining-tokens": "590",
        "x-ratelimit-reset-tokens": "1s",
    }

    @limiter
    def in_flight(tokens: int) -> int:
        assert answer.wait(10.0)
        limiter.observe_headers(full)
        return tokens

    @limiter
    def waiting(tokens: int) -> int:
        return tokens

    @limiter
    async def awaiting(tokens: int) -> int:
        return tokens

    first = threading.Thread(target=in_flight, args=(600,), daemon=True)
    first.start()  # takes the whole bucket and waits for its answer
    done = threading.Event()

    def second() -> None:
        assert (waiting(300) if kind == "sync" else asyncio.run(awaiting(300))) == 300
        done.set()

    threading.Thread(target=second, daemon=True).start()
    assert storage.waiting.wait(10.0)  # the second call was told to wait 30 s
    answer.set()
    assert done.wait(10.0)
    first.join(10.0)
