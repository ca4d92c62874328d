"""Checked by ``mypy --strict``, never executed: ``@retry`` keeps signatures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping
from typing import Any

import tenacity
from typing_extensions import assert_type

import resilience_kit as rk


@rk.retry("openai", max_attempts=3)
def complete(prompt: str, *, temperature: float = 0.0) -> str:
    return prompt


@rk.retry
def bare(n: int) -> int:
    return n


@rk.retry(policy=rk.RetryPolicy(max_attempts=2))
async def acomplete(prompt: str) -> str:
    return prompt


@rk.retry("anthropic")
def stream(prompt: str) -> Iterator[str]:
    yield prompt


@rk.retry()
async def astream(prompt: str) -> AsyncIterator[str]:
    yield prompt


class Client:
    @rk.retry("interactive")
    def ask(self, prompt: str) -> str:
        return prompt


assert_type(complete("hi"), str)
assert_type(complete("hi", temperature=0.5), str)
assert_type(bare(1), int)
pending: Coroutine[Any, Any, str] = acomplete("hi")  # a coroutine, not a str


async def use_async() -> None:
    """Awaiting keeps the return type."""
    assert_type(await acomplete("hi"), str)
    async for chunk in astream("hi"):
        assert_type(chunk, str)


assert_type(stream("hi"), Iterator[str])
assert_type(astream("hi"), AsyncIterator[str])
assert_type(Client().ask("hi"), str)
assert_type(complete.retry, tenacity.BaseRetrying)
assert_type(complete.statistics, Mapping[str, Any])
assert_type(complete.retry_with(max_attempts=1)("x"), str)
assert_type(complete.policy, rk.RetryPolicy)
assert_type(rk.get_preset("openai"), rk.RetryPolicy)


@tenacity.retry(**rk.tenacity_kwargs("openai"))  # plain tenacity keeps the signature too
def tenacity_ask(prompt: str) -> str:
    return prompt


@tenacity.retry(**rk.tenacity_kwargs("openai", asynchronous=True))
async def tenacity_aask(prompt: str) -> str:
    return prompt


assert_type(tenacity_ask("hi"), str)


async def use_tenacity_aask() -> None:
    assert_type(await tenacity_aask("hi"), str)


tenacity_ask(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

complete(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
complete("hi", temperature="hot")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
bare("one")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
_ = acomplete(b"bytes")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
stream(3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
Client().ask(3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
assert_type(Client().ask.retry_with(max_attempts=1)("x"), str)
assert_type(Client.ask(Client(), "x"), str)
rk.retry(policy="openai")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType, reportCallIssue]
