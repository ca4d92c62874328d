"""Per-call statistics of ``@retry``: tenacity's own statistics dict of the thread's/task's most
recent call, read through ``fn.statistics``."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

__all__ = ["Statistics", "StatisticsView"]


# The statistics of every decorated function's most recent call, per thread/task: one ContextVar
# for the whole kit (a ContextVar per decoration would stay in every thread's context for the
# life of the thread). Its value is a dict {decoration serial: statistics}, replaced (never
# mutated) on each call so that tasks copied from a context never share it; entries of
# decorations that were garbage-collected are dropped when the dict grows past twice the live
# decorations, so what a context retains is bounded by live decorated functions.
_STATS: ContextVar[dict[int, dict[str, Any]]] = ContextVar("resilience_kit.retry.statistics")
_live: set[int] = set()
_serials = itertools.count(1)
_cap = [16]  # prune a context's dict when it reaches this size: twice the live decorations + 16


def _forget(serial: int) -> None:
    _live.discard(serial)
    _cap[0] = 2 * len(_live) + 16


class Statistics:
    """One decorated function's slot in the kit's statistics ContextVar."""

    __slots__ = ("__weakref__", "serial")

    def __init__(self) -> None:
        self.serial = serial = next(_serials)
        _live.add(serial)
        _cap[0] = 2 * len(_live) + 16
        weakref.finalize(self, _forget, serial)

    def set(self, value: dict[str, Any]) -> None:
        """Make *value* this function's statistics in the current thread/task."""
        current = _STATS.get(None)
        serial = self.serial
        if current is None or (len(current) == 1 and serial in current):
            _STATS.set({serial: value})  # the common case: one function called over and over
            return
        if len(current) < _cap[0]:
            fresh = current.copy()
        else:  # drop the entries of collected decorations
            fresh = {serial: stats for serial, stats in current.items() if serial in _live}
        fresh[serial] = value
        _STATS.set(fresh)

    def get(self) -> dict[str, Any]:
        current = _STATS.get(None)
        return {} if current is None else current.get(self.serial, {})


class StatisticsView(Mapping[str, Any]):
    """Live view of the current thread's/task's most recent call statistics."""

    __slots__ = ("_slot",)

    def __init__(self, slot: Statistics) -> None:
        self._slot = slot

    def _current(self) -> dict[str, Any]:
        return self._slot.get()

    def __getitem__(self, key: str) -> Any:
        return self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._current()))

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return f"RetryStatistics({self._current()!r})"
