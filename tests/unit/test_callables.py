"""Every decorator sees one kind per callable: async objects, methods, partials, classmethods."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any

import pytest

import resilience_kit as rk
from resilience_kit._callables import add_note, callable_kind

DECORATORS: dict[str, Callable[[], Callable[[Any], Any]]] = {
    "retry": lambda: rk.retry("default", max_attempts=1),
    "circuit_breaker": lambda: rk.circuit_breaker("kinds"),
    "bulkhead": lambda: rk.bulkhead(1),
    "gate": lambda: rk.RateLimitGate("kinds"),
    "limiter": lambda: rk.AdaptiveLimiter(2, 1, 4),
    "timeout": lambda: rk.timeout(5.0),
    "fallback": lambda: rk.fallback(default="fallback"),
    "resilient": lambda: rk.resilient("default", max_attempts=1, timeout=5.0),
}


async def double(x: int) -> int:
    """An async function."""
    await asyncio.sleep(0)
    return 2 * x


class AsyncCallable:
    async def __call__(self, x: int) -> int:
        await asyncio.sleep(0)
        return 2 * x


class Service:
    factor = 2

    async def method(self, x: int) -> int:
        await asyncio.sleep(0)
        return self.factor * x

    @classmethod
    async def class_method(cls, x: int) -> int:
        await asyncio.sleep(0)
        return cls.factor * x


def _shapes() -> dict[str, Callable[..., Any]]:
    return {
        "function": double,
        "async __call__ object": AsyncCallable(),
        "bound method": Service().method,
        "partial": functools.partial(double),
        "partial of an async __call__ object": functools.partial(AsyncCallable()),
        "bound classmethod": Service.class_method,
        "staticmethod object": staticmethod(double),
    }


@pytest.mark.parametrize("shape", sorted(_shapes()))
def test_callable_kind_sees_async(shape: str) -> None:
    """Each async shape is "async" to the one callable-kind function."""
    assert "async" == callable_kind(_shapes()[shape])


def test_callable_kind_of_the_other_kinds() -> None:
    """Sync functions, generators and async generators keep their kinds, also behind a partial."""

    def sync(x: int) -> int:
        return x

    def gen() -> Any:
        yield 1

    async def agen() -> Any:
        yield 1

    class Gen:
        def __call__(self) -> Any:
            yield 1

    assert ["sync", "generator", "async_generator", "generator", "sync", "sync"] == [
        callable_kind(sync),
        callable_kind(functools.partial(gen)),
        callable_kind(agen),
        callable_kind(Gen()),
        callable_kind(Service),  # a class is called synchronously
        callable_kind(len),
    ]


@pytest.mark.parametrize("decorator", sorted(DECORATORS))
@pytest.mark.parametrize("shape", sorted(_shapes()))
async def test_every_decorator_wraps_async_shapes_as_async(
    rk_no_wait: Any, decorator: str, shape: str
) -> None:
    """The wrapper of each async shape is a coroutine function that returns the awaited value."""
    wrapped = DECORATORS[decorator]()(_shapes()[shape])
    if isinstance(wrapped, staticmethod):
        wrapped = wrapped.__func__
    assert inspect.iscoroutinefunction(wrapped)
    assert 42 == await wrapped(21)


@pytest.mark.parametrize("decorator", sorted(DECORATORS))
async def test_every_decorator_keeps_classmethods(rk_no_wait: Any, decorator: str) -> None:
    """Above or below ``@classmethod``, the decorated method stays a working async classmethod."""
    make = DECORATORS[decorator]

    class Model:
        factor = 3

        @make()
        @classmethod
        async def above(cls, x: int) -> int:
            return cls.factor * x

        @classmethod
        @make()
        async def below(cls, x: int) -> int:
            return cls.factor * x

    assert isinstance(vars(Model)["above"], classmethod)
    assert inspect.iscoroutinefunction(Model.above)
    assert (30, 30, 30) == (await Model.above(10), await Model.below(10), await Model().above(10))


async def test_bulkhead_around_an_async_call_object_rejects_the_second_call() -> None:
    """``bulkhead(1)`` around an ``async __call__`` object holds its slot across the await."""
    release = asyncio.Event()

    class Slow:
        async def __call__(self) -> str:
            await release.wait()
            return "done"

    guarded = rk.bulkhead(1)(Slow())
    first = asyncio.ensure_future(guarded())
    await asyncio.sleep(0)
    outcomes = await asyncio.gather(guarded(), guarded(), return_exceptions=True)
    release.set()
    assert "done" == await first
    assert [rk.BulkheadFullError, rk.BulkheadFullError] == [type(o) for o in outcomes]


def test_add_note_keeps_every_note() -> None:
    """Notes accumulate in ``__notes__`` on every Python, 3.10 included."""
    exc = ValueError("x")
    add_note(exc, "first")
    add_note(exc, "second")
    assert ["first", "second"] == exc.__notes__
