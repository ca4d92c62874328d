"""Support for the continuation tests: a numbered source that can be cut, and its continuation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import resilience_kit as rk
from resilience_kit import ErrorCategory
from tests.unit.retry_support import ScriptedError

ITEMS = tuple(f"item{i}" for i in range(12))


class Source:
    """A stream of ``ITEMS`` starting at ``start``; each opened stream takes the next scripted
    event: ``("cut", n, category)`` fails after *n* items (after the last one too),
    ``("open", category)`` fails before the first item, ``None`` runs to the end. Counts open
    and closed streams."""

    def __init__(self, *script: tuple[Any, ...] | None) -> None:
        self.script = list(script)
        self.opened = 0
        self.closed = 0
        self.calls: list[int] = []

    def _next(self) -> tuple[Any, ...] | None:
        return self.script.pop(0) if self.script else None

    def _items(self, start: int) -> Iterator[str]:
        self.calls.append(start)
        event = self._next()
        if event is not None and event[0] == "open":
            raise ScriptedError(event[1])
        rest = ITEMS[start:]
        for index, item in enumerate(rest):
            if event is not None and event[0] == "cut" and index == event[1]:
                raise ScriptedError(event[2])
            yield item
        if event is not None and event[0] == "cut" and event[1] == len(rest):
            raise ScriptedError(event[2])  # after the last item

    def stream(self, start: int = 0) -> Iterator[str]:
        self.opened += 1
        try:
            yield from self._items(start)
        finally:
            self.closed += 1

    async def astream(self, start: int = 0, *, pause: bool = False) -> AsyncIterator[str]:
        """The async form; with *pause*, each item waits a loop turn first (a point where the
        consumer's cancellation lands)."""
        self.opened += 1
        try:
            for item in self._items(start):
                if pause:
                    await asyncio.sleep(0)
                yield item
        finally:
            self.closed += 1


class FromIndex(rk.Continuation):
    """Continue by asking for the items after those delivered (``start=``)."""

    def __init__(self) -> None:
        self.cuts: list[rk.StreamCut] = []

    def follow_up(self, cut: rk.StreamCut) -> rk.FollowUp:
        self.cuts.append(cut)
        return rk.FollowUp(cut.args, {**cut.kwargs, "start": len(cut.delivered)})


def cut(after: int, category: ErrorCategory = ErrorCategory.CONNECTION) -> tuple[Any, ...]:
    return ("cut", after, category)


def fails_open(category: ErrorCategory = ErrorCategory.OVERLOADED) -> tuple[Any, ...]:
    return ("open", category)


def collect(gen: Iterator[str], limit: int | None = None) -> list[str]:
    """The items of *gen* (the first *limit*), closing it before returning."""
    out: list[str] = []
    try:
        for item in gen:
            out.append(item)
            if limit is not None and len(out) >= limit:
                break
    finally:
        close = getattr(gen, "close", None)
        if close is not None:
            close()
    return out


async def acollect(gen: AsyncIterator[str], limit: int | None = None) -> list[str]:
    """The items of *gen* (the first *limit*), closing it before returning, as ``collect``'s
    ``for`` loop closes a generator it drops."""
    out: list[str] = []
    try:
        async for item in gen:
            out.append(item)
            if limit is not None and len(out) >= limit:
                break
    finally:
        aclose = getattr(gen, "aclose", None)
        if aclose is not None:
            await aclose()
    return out


Factory = Callable[..., Any]
