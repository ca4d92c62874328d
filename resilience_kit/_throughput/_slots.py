"""A semaphore with an adjustable limit, shared by threads and event loops alike.

Bulkheads and the adaptive limiter both need one. ``threading.Semaphore`` blocks an event loop and
``asyncio.Semaphore`` is bound to one loop, so waiters here are queued in FIFO order and woken by a
direct hand-off: a thread waits on its own ``threading.Event``, a task on a future of its own loop.
No asyncio object exists until an async caller actually waits, so construction needs no loop.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections import deque


class Waiter:
    """One blocked caller: a thread's own event, or a future on the task's own loop."""

    __slots__ = ("event", "future", "granted", "loop")

    def __init__(
        self,
        event: threading.Event | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[None] | None = None,
    ) -> None:
        self.event = event
        self.loop = loop
        self.future = future
        self.granted = False

    def wake(self) -> bool:
        """Tell the waiter it holds a slot; False if its event loop is gone."""
        if self.event is not None:
            self.event.set()
            return True
        assert self.loop is not None
        assert self.future is not None
        try:
            self.loop.call_soon_threadsafe(_resolve, self.future)
        except RuntimeError:  # the waiter's loop is closed: nobody will take the slot
            return False
        return True


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Slots:
    """At most ``limit`` holders at once; others wait (FIFO) up to their own timeout."""

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._in_use = 0
        self._waiters: deque[Waiter] = deque()

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def set_limit(self, limit: int) -> None:
        """Change the limit; holders above a lower limit finish, new callers wait."""
        with self._lock:
            self._limit = limit
            self._grant()

    def _try_take(self) -> bool:
        if self._in_use < self._limit and not self._waiters:
            self._in_use += 1
            return True
        return False

    def _grant(self) -> None:
        while self._waiters and self._in_use < self._limit:
            waiter = self._waiters.popleft()
            waiter.granted = True
            self._in_use += 1
            if not waiter.wake():
                waiter.granted = False
                self._in_use -= 1

    def acquire(self, timeout: float | None) -> bool:
        """Take a slot, waiting at most *timeout* seconds (None or ``inf``: forever); False on
        timeout."""
        timeout = None if timeout == math.inf else timeout
        with self._lock:
            if self._try_take():
                return True
            if timeout is not None and timeout <= 0:
                return False
            waiter = Waiter(event=threading.Event())
            self._waiters.append(waiter)
        assert waiter.event is not None
        waiter.event.wait(timeout)
        with self._lock:
            if waiter.granted:
                return True
            self._waiters.remove(waiter)
            return False

    async def aacquire(self, timeout: float | None) -> bool:
        """Like `acquire()` without blocking the event loop."""
        timeout = None if timeout == math.inf else timeout
        with self._lock:
            if self._try_take():
                return True
            if timeout is not None and timeout <= 0:
                return False
            loop = asyncio.get_running_loop()
            waiter = Waiter(loop=loop, future=loop.create_future())
            self._waiters.append(waiter)
        assert waiter.future is not None
        try:
            await asyncio.wait_for(waiter.future, timeout)
        except asyncio.TimeoutError:
            with self._lock:
                if waiter.granted:
                    return True
                self._waiters.remove(waiter)
                return False
        except BaseException:  # cancelled while waiting: give back a slot handed to us
            with self._lock:
                if waiter.granted:
                    self._in_use -= 1
                    self._grant()
                else:
                    self._waiters.remove(waiter)
            raise
        return True

    def release(self) -> None:
        """Give a slot back; the longest waiter (if any) gets it."""
        with self._lock:
            self._in_use -= 1
            self._grant()
