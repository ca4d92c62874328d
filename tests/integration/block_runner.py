"""Runs documentation code blocks, each in a forked child of one warmed-up interpreter.

Reads a JSON list of jobs on stdin (``file``, ``mode`` ``run`` or ``pytest``, ``env``, ``out``) and
prints ``{file: exit status}``. The SDKs, the kit and pytest are imported once, before forking, so
a block costs its own work only; every block still gets a process of its own (its environment,
presets, exception maps and metrics start clean). Linux and macOS only (``os.fork``).
"""

from __future__ import annotations

import json
import os
import runpy
import signal
import socket
import sys
import traceback
from typing import Any

import anthropic  # noqa: F401 - imported once, before forking
import openai  # noqa: F401
import pytest

import resilience_kit  # noqa: F401

PARALLEL = 2
CHILD_TIMEOUT = 120  # seconds
LOOPBACK = {"127.0.0.1", "::1"}


_connect = socket.socket.connect


def _loopback_only(sock: socket.socket, address: Any) -> None:
    """socket.connect for blocks: 127.0.0.1 (and local sockets) only, never the network."""
    host = address[0] if isinstance(address, tuple) else None
    if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK:
        raise OSError(f"a documentation block may only connect to 127.0.0.1, not {host!r}")
    _connect(sock, address)


def _child(job: dict[str, object]) -> int:
    signal.alarm(CHILD_TIMEOUT)  # a hung block dies instead of hanging the run
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    out = os.open(str(job["out"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(out, 2)
    env = job["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    file = str(job["file"])
    os.chdir(os.path.dirname(file))
    sys.argv = [file]
    try:
        if job["mode"] == "pytest":
            return int(pytest.main(["-q", "-p", "no:cacheprovider", file]))
        runpy.run_path(file, run_name="__main__")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def main() -> None:
    jobs: list[dict[str, object]] = json.loads(sys.stdin.read())
    results: dict[str, int] = {}
    running: dict[int, str] = {}
    pending = list(jobs)
    while pending or running:
        while pending and len(running) < PARALLEL:
            job = pending.pop(0)
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:  # the child never returns into this loop
                code = _child(job)
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
            running[pid] = str(job["file"])
        pid, status = os.wait()
        results[running.pop(pid)] = os.waitstatus_to_exitcode(status)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
