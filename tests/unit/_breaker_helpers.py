"""Helpers for the circuit-breaker tests: a manual clock and guarded functions of each kind."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import resilience_kit as rk

KINDS = ("sync", "async", "generator", "async_generator")


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    """Counts the calls that reached it; raises the exception it is given."""

    hits: int = 0
    log: list[str] = field(default_factory=list)

    def run(self, exc: BaseException | None) -> str:
        self.hits += 1
        if exc is not None:
            raise exc
        return "ok"


Invoke = Callable[..., Awaitable[object]]


def guarded(breaker: rk.CircuitBreaker, kind: str, backend: Backend) -> Invoke:
    """An awaitable invoker for a function of *kind* guarded by *breaker*."""
    if kind == "sync":

        @breaker
        def sync_fn(exc: BaseException | None) -> str:
            return backend.run(exc)

        async def call_sync(exc: BaseException | None = None) -> object:
            return sync_fn(exc)

        return call_sync
    if kind == "async":

        @breaker
        async def async_fn(exc: BaseException | None) -> str:
            return backend.run(exc)

        async def call_async(exc: BaseException | None = None) -> object:
            return await async_fn(exc)

        return call_async
    if kind == "generator":

        @breaker
        def gen_fn(exc: BaseException | None) -> Iterator[str]:
            yield "first"  # the outcome is judged when the stream ends, not at the first item
            yield backend.run(exc)

        async def call_gen(exc: BaseException | None = None) -> object:
            return list(gen_fn(exc))

        return call_gen

    @breaker
    async def agen_fn(exc: BaseException | None) -> AsyncIterator[str]:
        yield "first"
        yield backend.run(exc)

    async def call_agen(exc: BaseException | None = None) -> object:
        return [item async for item in agen_fn(exc)]

    return call_agen
