"""Interleaved per-call timing shared by the benchmark scripts.

Every repeat runs every variant once, so background load on a noisy machine spreads over all of
them instead of skewing one; each list holds seconds per call, one value per repeat.
"""

from __future__ import annotations

import asyncio
import timeit
from collections.abc import Callable
from typing import Any


def interleaved(
    variants: dict[str, Callable[[int], Any]], number: int, repeat: int
) -> dict[str, list[float]]:
    """Seconds per ``fn(1)`` call of each sync variant, *repeat* times, *number* calls each."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, fn in variants.items():
            elapsed = timeit.timeit(lambda fn=fn: fn(1), number=number)
            times[name].append(elapsed / number)
    return times


def interleaved_async(
    variants: dict[str, Callable[[int], Any]], number: int, repeat: int
) -> dict[str, list[float]]:
    """Seconds per ``await fn(1)`` of each async variant, timed on one event loop."""
    times: dict[str, list[float]] = {name: [] for name in variants}

    async def loop(fn: Callable[[int], Any]) -> None:
        for _ in range(number):
            await fn(1)

    async def main() -> None:
        clock = asyncio.get_running_loop().time
        for _ in range(repeat):
            for name, fn in variants.items():
                start = clock()
                await loop(fn)
                times[name].append((clock() - start) / number)

    asyncio.run(main())
    return times
