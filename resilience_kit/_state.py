"""The kit's process-wide state, and how a test runner puts it back after each test.

Modules that keep state for the whole process (the ``circuit_breaker(name)`` registry, the
metrics) register a *checkpoint*: called when a test starts, it returns the function that undoes
what the test changed. The pytest plugin runs them around every test (`isolated()`), and calls
`Isolation.keep` after a session-, package-, module- or class-scoped fixture is set up, so what
such a fixture made is the state each later test starts from (and is put back to). A module
that registers its checkpoint while a test runs (the kit's tools loaded on first use) is
checkpointed at once, so what the test does with it is undone too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator

__all__ = ["Checkpoint", "Isolation", "isolated", "register"]

Checkpoint = Callable[[], Callable[[], None]]

_checkpoints: list[Checkpoint] = []
_running: list[Isolation] = []  # the isolations entered and not yet left


def register(checkpoint: Checkpoint) -> Checkpoint:
    """Run *checkpoint* when each isolated test starts, and what it returns when it ends (at
    once, too, for a test already running: its module was just loaded)."""
    _checkpoints.append(checkpoint)
    for isolation in tuple(_running):
        isolation.add(checkpoint())
    return checkpoint


class Isolation:
    """The state to come back to: taken on entry, taken again by `keep`."""

    def __init__(self) -> None:
        self._restores = self._take()

    @staticmethod
    def _take() -> list[Callable[[], None]]:
        return [checkpoint() for checkpoint in tuple(_checkpoints)]

    def add(self, restore: Callable[[], None]) -> None:
        self._restores.append(restore)

    def keep(self) -> None:
        """What exists now (say, a breaker a session fixture just made) is the state to restore."""
        self._restores = self._take()

    def restore(self) -> None:
        for restore in reversed(self._restores):
            restore()


@contextlib.contextmanager
def isolated() -> Generator[Isolation, None, None]:
    """The kit's process-wide state as it was on entry (or at the last `keep`), again on exit."""
    isolation = Isolation()
    _running.append(isolation)
    try:
        yield isolation
    finally:
        _running.remove(isolation)
        isolation.restore()
