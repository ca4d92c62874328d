"""Command-line interface: ``python -m resilience_kit <command>``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from resilience_kit._cli import _demo, _presets

Run = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]

# The command table: name -> (help, run, configure its parser). Each module offers its COMMAND.
_COMMANDS: dict[str, tuple[str, Run, Configure]] = {
    name: (help_text, run, configure)
    for name, help_text, run, configure in (_demo.COMMAND, _presets.COMMAND)
}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse *argv* and run the chosen subcommand; returns the process exit code."""
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
