"""The kit's one clock and one sleep, so tests can make waiting instant.

``time.monotonic`` and ``time.sleep`` are looked up at call time, so freezegun works.
``resilience_kit.testing.no_wait()`` installs a `SleepOverride`: sleeps return at once,
are recorded, and advance a virtual offset that `monotonic()` adds, so deadlines and
breaker timeouts still pass in virtual time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class SleepOverride:
    """Records sleeps instead of performing them (see ``testing.no_wait``)."""

    sleeps: list[float] = field(default_factory=list)
    offset: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.offset += max(seconds, 0.0)


_overrides: list[SleepOverride] = []


def overrides() -> list[SleepOverride]:
    """The live stack of ``no_wait`` overrides (mutated in place; for hot paths that inline
    `monotonic()`)."""
    return _overrides


def push_override(override: SleepOverride) -> None:
    _overrides.append(override)


def pop_override(override: SleepOverride) -> None:
    _overrides.remove(override)


def monotonic() -> float:
    """Monotonic seconds, read at call time, plus virtual time spent in ``no_wait`` sleeps."""
    now = time.monotonic()
    if _overrides:
        now += _overrides[-1].offset
    return now


def sleep(seconds: float) -> None:
    """Block for *seconds*, or record the wait when ``no_wait`` is active."""
    if _overrides:
        _overrides[-1].record(seconds)
        return
    if seconds > 0:
        time.sleep(seconds)


async def async_sleep(seconds: float) -> None:
    """Await *seconds*, or record the wait when ``no_wait`` is active (still yields to the loop)."""
    import asyncio  # not at import time: a sync program never loads asyncio through the kit

    if _overrides:
        _overrides[-1].record(seconds)
        await asyncio.sleep(0)
        return
    await asyncio.sleep(max(seconds, 0.0))
