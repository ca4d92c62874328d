"""Helpers for the retry tests: scripted failures and a runner for the four function kinds."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import resilience_kit as rk
from resilience_kit import Classification, ErrorCategory

KINDS = ("sync", "async", "generator", "async_generator")


class ScriptedError(Exception):
    """An error whose classification the test decides."""

    def __init__(
        self,
        category: ErrorCategory,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"scripted {category.value}")
        self.category = category
        self.retry_after = retry_after
        self.status = status
        self.request_id = request_id


def classify_scripted(exc: BaseException) -> Classification | None:
    """The exception map for :class:`ScriptedError`."""
    if not isinstance(exc, ScriptedError):
        return None
    return Classification(
        category=exc.category,
        retryable=exc.category.retryable,
        retry_after=exc.retry_after,
        status_code=exc.status,
        provider="scripted",
        request_id=exc.request_id,
        message=str(exc),
    )


class Script:
    """Raises the scripted exceptions in order, then succeeds; counts attempts."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.attempts = 0

    def step(self) -> str:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def make(kind: str, script: Script, **retry_args: Any) -> Any:
    """A ``@retry``-decorated function of *kind* driven by *script*."""
    if kind == "sync":

        def sync_fn() -> str:
            return script.step()

        return rk.retry(**retry_args)(sync_fn)
    if kind == "async":

        async def async_fn() -> str:
            return script.step()

        return rk.retry(**retry_args)(async_fn)
    if kind == "generator":

        def gen_fn() -> Iterator[str]:
            yield script.step()
            yield "more"

        return rk.retry(**retry_args)(gen_fn)

    async def agen_fn() -> AsyncIterator[str]:
        yield script.step()
        yield "more"

    return rk.retry(**retry_args)(agen_fn)


async def run(fn: Callable[[], Any]) -> str:
    """Call *fn* whatever its kind; returns the result (first item for generators)."""
    result = fn()
    if inspect.iscoroutine(result):
        value: str = await result
        return value
    if inspect.isasyncgen(result):
        items = [item async for item in result]
        return str(items[0])
    if inspect.isgenerator(result):
        sync_items = list(result)
        return str(sync_items[0])
    return str(result)
