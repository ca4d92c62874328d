"""The command-line entry point."""

from __future__ import annotations

import subprocess
import sys


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    """`python -m resilience_kit presets | head -1` prints no BrokenPipeError traceback."""
    proc = subprocess.run(  # noqa: S602 - a fixed command line, no user input
        f"{sys.executable} -m resilience_kit presets | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert 1 == len(proc.stdout.splitlines())
    assert "Traceback" not in proc.stderr
