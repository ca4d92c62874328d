"""Checked by ``mypy --strict``, never executed: decorated functions keep their signatures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any

from typing_extensions import assert_type

import resilience_kit as rk

breaker = rk.CircuitBreaker("api", window=rk.CountWindow(size=20, failure_rate=0.5))
shared = rk.circuit_breaker("api2", failure_threshold=3, recovery_timeout=5.0)
assert_type(shared, rk.CircuitBreaker)


@breaker
def complete(prompt: str, *, temperature: float = 0.0) -> str:
    return prompt


@breaker
async def acomplete(prompt: str) -> int:
    return len(prompt)


@breaker
def stream(prompt: str) -> Iterator[str]:
    yield prompt


@breaker
async def astream(prompt: str) -> AsyncIterator[bytes]:
    yield prompt.encode()


assert_type(complete("hi", temperature=0.5), str)
pending: Coroutine[Any, Any, int] = acomplete("hi")  # a coroutine, not an int


async def use() -> None:
    assert_type(await acomplete("hi"), int)
    async with breaker as aentered:
        assert_type(aentered, rk.CircuitBreaker)


assert_type(stream("hi"), Iterator[str])
assert_type(astream("hi"), AsyncIterator[bytes])
complete(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
complete("hi", temp=1.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
acomplete()  # type: ignore[call-arg, unused-coroutine]  # pyright: ignore[reportCallIssue]

with breaker as entered:
    assert_type(entered, rk.CircuitBreaker)
assert_type(breaker.state, rk.CircuitState)
snap = breaker.snapshot()
assert_type(snap, rk.BreakerSnapshot)
assert_type(snap.failure_rate, float | None)
assert_type(snap.retry_after, float)
assert_type(snap.options, rk.BreakerOptions)
assert_type(breaker.options.recovery_timeout, float)
rk.CircuitBreaker("x", failure_threshold="5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
rk.circuit_breaker("x", failure_treshold=5)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
rk.TimeWindow(seconds=60, failure_rate=0.5, minimum_calls=10)
