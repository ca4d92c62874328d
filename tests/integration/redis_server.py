"""A real ``redis-server`` on a free loopback port, started and stopped by the tests.

The binaries are found on ``PATH`` (`binary`), nowhere else; without them the Redis-backed tests
are skipped with one summary line (see ``conftest.py``), or fail the run when ``CI`` is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

import redis

INSTALL = "apt-get install redis-server"
MISSING = (
    "redis-server not found on PATH: the Redis-backed tests are skipped "
    f"(to run them, install it: {INSTALL})"
)


def available() -> bool:
    """Whether ``redis-server`` and ``redis-cli`` (the cluster tests) are both on ``PATH``."""
    return binary("redis-server") is not None and binary("redis-cli") is not None


def binary(name: str = "redis-server") -> str | None:
    """The path of *name* (``redis-server`` or ``redis-cli``) on ``PATH``, or None."""
    return shutil.which(name)


def required() -> bool:
    """Whether this run must not skip a Redis-backed test (``CI`` set, as ``.ci/run`` does)."""
    return os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process without persistence; it restarts on the same port."""

    def __init__(self) -> None:
        found = binary()
        if found is None:
            raise RuntimeError(MISSING)
        self.binary = found
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.TemporaryDirectory(prefix="rk-redis-")
        self._proc: subprocess.Popen[bytes] | None = None
        self._started = False

    def start(self) -> None:
        """Start the server; a first start whose free port was taken meanwhile moves to another
        port (restarts keep theirs: clients already point at it)."""
        for _ in range(2 if self._started else 3):
            try:
                self._start_once()
            except RuntimeError:
                if not self._started:
                    self.port = free_port()
                    self.url = f"redis://127.0.0.1:{self.port}/0"
                continue
            self._started = True
            return
        self._start_once()  # the last try: its error names the port

    def _start_once(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", self._dir.name]
        self._proc = subprocess.Popen(  # noqa: S603 - the installed redis-server, fixed arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 5.0
        client = redis.Redis(port=self.port, socket_timeout=0.2, socket_connect_timeout=0.2)
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.RedisError:  # noqa: PERF203 - polling until the server answers
                    if self._proc.poll() is not None or time.monotonic() > deadline:
                        self.kill()
                        raise RuntimeError(f"redis-server did not start on {self.port}") from None
                    time.sleep(0.01)  # a real wait: the server process is starting
        finally:
            client.close()

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash would."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(5)
            self._proc = None

    def close(self) -> None:
        self.kill()
        self._dir.cleanup()

    def client(self, **options: object) -> redis.Redis:
        return redis.Redis(port=self.port, **options)  # type: ignore[arg-type]
