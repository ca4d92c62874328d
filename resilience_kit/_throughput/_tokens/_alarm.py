"""Wake the caller waiting for tokens when an answer changes what the limiter knows.

The head of the queue sleeps for a wait computed from the limits and level it knew then; an answer
that arrives meanwhile (a faster refill, more remaining) makes that wait stale. `Alarm.ring()` ends
every such sleep at once, so the head asks the storage again. A sleeper passes the generation it
saw before asking: news that came between its question and its sleep ends the sleep at once too.
"""

from __future__ import annotations

import asyncio
import threading

from resilience_kit._throughput._slots import Waiter

__all__ = ["Alarm"]


class Alarm:
    """Sleeps that news ends early; shared by threads and event loops."""

    __slots__ = ("_generation", "_lock", "_sleepers")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._sleepers: set[Waiter] = set()

    @property
    def generation(self) -> int:
        """How many times news came: pass it to a sleep to miss none."""
        return self._generation

    def ring(self) -> None:
        """News: end every sleep now."""
        with self._lock:
            self._generation += 1
            sleepers = list(self._sleepers)
            self._sleepers.clear()
        for sleeper in sleepers:
            sleeper.wake()  # False for a closed loop: nobody sleeps there any more

    def sleep(self, seconds: float, seen: int) -> None:
        """Block up to *seconds*, less if news comes (or came since generation *seen*)."""
        with self._lock:
            if self._generation != seen:
                return
            sleeper = Waiter(event=threading.Event())
            self._sleepers.add(sleeper)
        assert sleeper.event is not None
        try:
            sleeper.event.wait(seconds)
        finally:
            with self._lock:
                self._sleepers.discard(sleeper)

    async def asleep(self, seconds: float, seen: int) -> None:
        """Like `sleep()` without blocking the event loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._generation != seen:
                return
            sleeper = Waiter(loop=loop, future=loop.create_future())
            self._sleepers.add(sleeper)
        assert sleeper.future is not None
        try:
            await asyncio.wait_for(sleeper.future, seconds)
        except asyncio.TimeoutError:
            pass
        finally:
            with self._lock:
                self._sleepers.discard(sleeper)
