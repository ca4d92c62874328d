"""TokenLimiter defects seen in real use, one test each (public API only)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit.testing import no_wait
from resilience_kit.tokens import estimate_tokens


def _tokens(tokens: int) -> int:
    return tokens


def fresh_context_steps(gen: Iterator[Any]) -> list[Any]:
    """Consume *gen* the way Starlette's StreamingResponse does through anyio: each ``next()``
    in a fresh copy of the context (here the caller's, as a worker thread would copy it)."""
    items: list[Any] = []
    end = object()
    while (item := contextvars.copy_context().run(next, gen, end)) is not end:
        items.append(item)
    return items


def finishes(call: Callable[[], object], seconds: float = 5.0) -> bool:
    """Whether *call* returns within *seconds* in another thread (a wedge never does)."""
    done = threading.Event()

    def run() -> None:
        call()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(seconds)


@pytest.mark.parametrize("through", ["decorator", "resilient"])
def test_a_stream_consumed_in_fresh_contexts_is_settled_and_wedges_nothing(through: str) -> None:
    """A sync generator whose steps each run in a fresh context copy is settled once; the calls
    after it go out (they blocked forever behind the first call's probe slot)."""
    limiter = rk.TokenLimiter()

    def stream(n: int) -> Iterator[int]:
        yield from range(n)

    wrapped = limiter(stream) if through == "decorator" else rk.resilient(tokens=limiter)(stream)
    assert [0, 1, 2] == fresh_context_steps(wrapped(3))
    assert finishes(lambda: fresh_context_steps(wrapped(2)))
    assert finishes(lambda: list(wrapped(1)))


def test_the_wait_is_bounded_by_the_calls_deadline() -> None:
    """resilient(tokens=..., deadline=2.0) never waits for tokens beyond its deadline: it fails
    fast with the limiter's error instead of sleeping into a certain miss."""
    limiter = rk.TokenLimiter(tpm=1000, cost=_tokens)

    @rk.resilient("openai", tokens=limiter, deadline=2.0)
    def ask(tokens: int) -> int:
        return tokens

    with no_wait() as waits:
        ask(1000)
        with pytest.raises(rk.GateClosedError):
            ask(500)  # 30 s of refill away
    assert waits.total <= 2.0


def test_the_wait_is_bounded_by_the_attempt_timeout() -> None:
    """With timeout=1.0 the wait for tokens is bounded by the attempt's timeout."""
    limiter = rk.TokenLimiter(tpm=1000, cost=_tokens)

    @rk.resilient("openai", tokens=limiter, timeout=1.0, max_attempts=1)
    async def ask(tokens: int) -> int:
        return tokens

    async def main() -> None:
        await ask(1000)
        with pytest.raises(rk.GateClosedError):
            await ask(500)

    with no_wait() as waits:
        asyncio.run(main())
    assert waits.total <= 1.0  # refused at once: 30 s of refill do not fit the timeout


def test_large_limits_are_counts() -> None:
    """150,000,000 tokens per minute is learned as such (not clamped by a one-year cap)."""
    limiter = rk.TokenLimiter()
    assert limiter.observe_headers(
        {
            "x-ratelimit-limit-requests": "30000",
            "x-ratelimit-remaining-requests": "29999",
            "x-ratelimit-reset-requests": "2ms",
            "x-ratelimit-limit-tokens": "150000000",
            "x-ratelimit-remaining-tokens": "149999000",
            "x-ratelimit-reset-tokens": "0s",
        }
    )
    assert (30_000.0, 150_000_000.0) == limiter.limits


def _answer(prompt: int, output: int) -> SimpleNamespace:
    return SimpleNamespace(usage={"prompt_tokens": prompt, "completion_tokens": output})


def test_one_image_call_does_not_skew_text_estimates() -> None:
    """An image's prompt tokens are not in its text: learning them does not make every later
    text call look 8x dearer (16 text calls that fit a fresh limiter go out without waiting)."""
    limiter = rk.TokenLimiter(rpm=1000, tpm=10_000)
    together = threading.Barrier(16, timeout=10)

    @limiter
    def create(**kwargs: Any) -> SimpleNamespace:
        estimate = estimate_tokens(**kwargs)
        assert estimate is not None
        if kwargs.get("image"):
            return _answer(2_000, 10)
        together.wait()  # all 16 in flight at once
        return _answer(estimate.prompt, 10)

    picture = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            ],
        }
    ]
    text = [{"role": "user", "content": "x" * 400}]
    with no_wait() as waits:
        create(messages=picture, max_tokens=10, image=True)
        calls = [
            threading.Thread(target=lambda: create(messages=text, max_tokens=10)) for _ in range(16)
        ]
        for call in calls:
            call.start()
        for call in calls:
            call.join()
    assert waits.total == 0.0


def test_an_answer_inside_an_inner_timeout_is_the_calls_answer() -> None:
    """A timeout layer inside the limiter makes a child context; the answer read there still
    belongs to the call the limiter admitted (it is what teaches the limiter)."""
    from resilience_kit import _call

    limiter = rk.TokenLimiter("inner-timeout", rpm=600, tpm=100_000)
    seen: list[object] = []

    @limiter
    def create(**kwargs: Any) -> None:
        with _call.bounded(5.0):  # as rk.timeout / resilient(timeout=...) inside the limiter do
            seen.append(limiter._current())  # the ticket the answer goes to

    with no_wait():
        create(messages=[{"role": "user", "content": "hi"}], max_tokens=10)
    assert seen
    assert seen[0] is not None
