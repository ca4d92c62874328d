"""What a subcommand is: a name, help texts, its options and the function that runs it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Command", "UsageError"]


@dataclass(frozen=True)
class Command:
    """One row of the command table in ``_main``."""

    name: str
    help: str
    description: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad input found after parsing: reported as one line on stderr, exit status 2."""
