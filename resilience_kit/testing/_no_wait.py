"""``no_wait()``: retries without real sleeping, for tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from resilience_kit._clock import SleepOverride, pop_override, push_override

__all__ = ["NoWait", "no_wait"]


@dataclass
class NoWait(SleepOverride):
    """The sleeps the kit would have made, in order (``.sleeps``), and their sum (``.total``)."""

    @property
    def total(self) -> float:
        """Seconds of virtual time spent sleeping."""
        with self.lock:
            return sum(self.sleeps)

    @property
    def count(self) -> int:
        """How many sleeps were requested."""
        with self.lock:
            return len(self.sleeps)


@contextmanager  # pyright: ignore[reportDeprecated]
def no_wait() -> Iterator[NoWait]:
    """Make the kit's sleeps instant and recorded, in every thread and task.

    Virtual time still passes: ``resilience_kit._clock.monotonic()`` advances by each sleep, so
    deadlines and breaker timeouts behave as if the waits had happened. Nests; works inside
    ``freezegun.freeze_time`` (with ``tick=True`` or ``real_asyncio=True`` too).
    """
    override = NoWait()
    push_override(override)
    try:
        yield override
    finally:
        pop_override(override)
