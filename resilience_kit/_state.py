"""The kit's process-wide state, and how a test runner puts it back after each test.

Modules that keep state for the whole process (the ``circuit_breaker(name)`` registry, the
metrics) register a *checkpoint*: called when a test starts, it returns the function that undoes
what the test changed. The pytest plugin runs them around every test (`isolated()`), and calls
`Isolation.keep` after a session-, package-, module- or class-scoped fixture is set up, so what
such a fixture made is the state each later test starts from (and is put back to).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator

__all__ = ["Checkpoint", "Isolation", "isolated", "register"]

Checkpoint = Callable[[], Callable[[], None]]

_checkpoints: list[Checkpoint] = []


def register(checkpoint: Checkpoint) -> Checkpoint:
    """Run *checkpoint* when each isolated test starts, and what it returns when it ends."""
    _checkpoints.append(checkpoint)
    return checkpoint


class Isolation:
    """The state to come back to: taken on entry, taken again by `keep`."""

    def __init__(self) -> None:
        self._restores = self._take()

    @staticmethod
    def _take() -> list[Callable[[], None]]:
        return [checkpoint() for checkpoint in tuple(_checkpoints)]

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
    try:
        yield isolation
    finally:
        isolation.restore()
