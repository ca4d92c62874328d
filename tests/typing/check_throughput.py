"""Checked by ``mypy --strict``, never executed: resilient, fallback, timeout and friends."""

from __future__ import annotations

from typing_extensions import assert_type

import resilience_kit as rk
from resilience_kit.tokens import Estimate, estimate_tokens


@rk.resilient("openai", gate=rk.RateLimitGate("g"), limiter=rk.AdaptiveLimiter(4, 1, 8))
def ask(prompt: str, *, temperature: float = 0.0) -> str:
    return prompt


assert_type(ask("hi"), str)
ask(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
ask("hi", temp=1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


@rk.resilient("anthropic", timeout=30, budget=rk.RetryBudget())
async def ask_async(prompt: str) -> int:
    return len(prompt)


rk.resilient(gate="openai")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType, reportCallIssue]
rk.resilient(timeout="5")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType, reportCallIssue]


def bigger_model(prompt: str) -> str:
    return prompt


@rk.fallback(bigger_model, on={rk.ErrorCategory.CONTEXT_LENGTH})
def small_model(prompt: str) -> str:
    return prompt


assert_type(small_model("x"), str)


def wrong_signature(prompt: int) -> str:
    return str(prompt)


@rk.fallback(wrong_signature)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
def mismatched(prompt: str) -> str:
    return prompt


@rk.fallback(default="sorry")
def with_default(prompt: str) -> str:
    return prompt


assert_type(with_default("x"), str)


@rk.fallback(default="sorry")
async def async_default(prompt: str) -> str:
    return prompt


async def other_provider(prompt: str) -> str:
    return prompt


@rk.fallback(other_provider, on={rk.ErrorCategory.QUOTA}, default="none")
async def provider(prompt: str) -> str:
    return prompt


@rk.timeout(5)
async def slow(n: int) -> float:
    return n / 2


@rk.timeout(5)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
def sync_call() -> None:
    return None


@rk.bulkhead(4)
def guarded(x: int) -> bytes:
    return b""


assert_type(guarded(1), bytes)
assert_type(rk.bulkhead(2), rk.Bulkhead)


@rk.AdaptiveLimiter(4, 1, 16)
async def limited(x: int) -> int:
    return x


def square(x: int) -> int:
    return x * x


result = rk.run_batch(square, range(10))
assert_type(result, rk.BatchResult[int, int])
assert_type(result.values(), list[int])
assert_type(result.failures[0].classification, rk.Classification)
rk.run_batch(square, ["a"])  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def fetch(url: str) -> bytes:
    return url.encode()


async def batch() -> None:
    done = await rk.arun_batch(fetch, ["a", "b"], concurrency=4)
    assert_type(done, rk.BatchResult[str, bytes])


async def awaited() -> None:
    assert_type(await ask_async("x"), int)
    assert_type(await async_default("x"), str)
    assert_type(await provider("x"), str)
    assert_type(await slow(1), float)
    assert_type(await limited(1), int)


def _cost(prompt: str, max_tokens: int = 16) -> int:
    return len(prompt) // 4 + max_tokens


tokens = rk.TokenLimiter(tpm=60_000, cost=_cost)


@tokens
def ask_tokens(prompt: str, max_tokens: int = 16) -> str:
    return prompt


@tokens
async def ask_tokens_async(prompt: str) -> int:
    return len(prompt)


assert_type(ask_tokens("hi", max_tokens=3), str)


async def use_tokens_async() -> None:
    assert_type(await ask_tokens_async("hi"), int)


assert_type(rk.resilient("openai", tokens=tokens)(ask_tokens)("hi"), str)
assert_type(estimate_tokens(messages=[]), Estimate | None)
ask_tokens(3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
