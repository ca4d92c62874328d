"""Command-line interface: ``resilience-kit <command>`` (or ``python -m resilience_kit``).

A plain command table: each command module exports a ``COMMAND``. Bad input of any kind (an unknown
option, a malformed value, a presets file that does not load) is one line on stderr and exit
status 2, as argparse does for its own checks, without the usage block.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from resilience_kit import _version
from resilience_kit._cli import _demo, _explain, _presets
from resilience_kit._cli._command import Command, UsageError
from resilience_kit._redact import redact
from resilience_kit.exceptions import ConfigurationError

__all__ = ["COMMANDS", "build_parser", "main", "version"]

COMMANDS: tuple[Command, ...] = (_demo.COMMAND, _explain.COMMAND, _presets.COMMAND)
EXAMPLES = """examples:
  resilience-kit demo --scale 0
  resilience-kit presets --file presets.toml
  resilience-kit explain --provider openai --status 429 --header retry-after:2
  resilience-kit explain --provider anthropic --in-stream --type overloaded_error --json

exit status: 0 done, 1 the demo could not start, 2 bad input (one line on stderr)"""


class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line: ``PROG: error: MESSAGE (see PROG --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {redact(message)} (see {self.prog} --help)\n")


def version() -> str:
    """``resilience_kit.__version__``: one source, installed or not."""
    return _version.__version__


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The parser for every command; *prog* defaults to the name the program was run as."""
    parser = _Parser(
        prog=prog or os.path.basename(sys.argv[0]) or "resilience-kit",
        description="Make LLM-calling code survive rate limits, overloads, outages and billing "
        "stops: see what the kit does with a failure, its presets, or a live demo.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.configure(
            sub.add_parser(command.name, help=command.help, description=command.description)
        )
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Parse *argv* and run the chosen command; returns the process exit code."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    run = {command.name: command.run for command in COMMANDS}[args.command]
    try:
        return run(args)
    except (UsageError, ConfigurationError) as exc:
        print(f"{parser.prog} {args.command}: error: {redact(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
