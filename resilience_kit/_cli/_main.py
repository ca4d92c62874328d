"""Command-line interface: ``python -m resilience_kit <command>``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

_COMMANDS: dict[
    str, tuple[str, Callable[[argparse.Namespace], int], Callable[[argparse.ArgumentParser], None]]
] = {}


def command(
    name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None] | None = None
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register a subcommand (used by the modules that implement them)."""

    def decorate(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        _COMMANDS[name] = (help_text, func, configure or (lambda _parser: None))
        return func

    return decorate


def _load_commands() -> None:
    """Import the modules that register subcommands."""
    from resilience_kit._cli import _demo, _presets  # noqa: F401


def main(argv: Sequence[str] | None = None) -> int:
    """Parse *argv* and run the chosen subcommand; returns the process exit code."""
    _load_commands()
    parser = argparse.ArgumentParser(prog="python -m resilience_kit")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, _func, configure) in sorted(_COMMANDS.items()):
        configure(sub.add_parser(name, help=help_text))
    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command][1](args)
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
