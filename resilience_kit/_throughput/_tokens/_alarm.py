"""Wake the caller waiting for tokens when an answer changes what the limiter knows.

The head of the queue sleeps for a wait computed from the limits and level it knew then; an answer
that arrives meanwhile (a faster refill, more remaining) makes that wait stale. `Alarm.ring()` ends
every such sleep at once, so the head asks the storage again. A sleeper passes the generation it
saw before asking: news that came between its question and its sleep ends the sleep at once too.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

__all__ = ["Alarm"]


class _Sleeper:
    """One sleep: a thread's event, or a task's future on its own loop."""

    __slots__ = ("event", "future", "loop")

    def __init__(
        self,
        event: threading.Event | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[None] | None = None,
    ) -> None:
        self.event = event
        self.loop = loop
        self.future = future

    def wake(self) -> None:
        if self.event is not None:
            self.event.set()
        elif self.loop is not None and self.future is not None:
            # A closed loop raises RuntimeError: nobody sleeps there any more.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(_resolve, self.future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Alarm:
    """Sleeps that news ends early; shared by threads and event loops."""

    __slots__ = ("_generation", "_lock", "_sleepers")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._sleepers: set[_Sleeper] = set()

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
            sleeper.wake()

    def sleep(self, seconds: float, seen: int) -> None:
        """Block up to *seconds*, less if news comes (or came since generation *seen*)."""
        with self._lock:
            if self._generation != seen:
                return
            sleeper = _Sleeper(event=threading.Event())
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
            sleeper = _Sleeper(loop=loop, future=loop.create_future())
            self._sleepers.add(sleeper)
        assert sleeper.future is not None
        try:
            await asyncio.wait_for(sleeper.future, seconds)
        except asyncio.TimeoutError:
            pass
        finally:
            with self._lock:
                self._sleepers.discard(sleeper)
