"""The kit's process-wide state, and how a test runner puts it back after each test.

Modules that keep state for the whole process (the ``circuit_breaker(name)`` registry, the
metrics) register a *checkpoint*: called when a test starts, it returns the function that undoes
what the test changed. The pytest plugin runs them around every test (`isolated()`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator

__all__ = ["Checkpoint", "isolated", "register"]

Checkpoint = Callable[[], Callable[[], None]]

_checkpoints: list[Checkpoint] = []


def register(checkpoint: Checkpoint) -> Checkpoint:
    """Run *checkpoint* when each isolated test starts, and what it returns when it ends."""
    _checkpoints.append(checkpoint)
    return checkpoint


@contextlib.contextmanager
def isolated() -> Generator[None, None, None]:
    """The kit's process-wide state as it was on entry, again on exit."""
    restores = [checkpoint() for checkpoint in tuple(_checkpoints)]
    try:
        yield
    finally:
        for restore in reversed(restores):
            restore()
