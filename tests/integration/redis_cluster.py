"""A real 3-master Redis Cluster on free loopback ports, started and stopped by the tests."""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import redis
import redis.cluster

from tests.integration.redis_server import MISSING, binary, free_port


class RedisCluster:
    """Three ``redis-server --cluster-enabled yes`` joined by ``redis-cli --cluster create``."""

    def __init__(self, masters: int = 3) -> None:
        server, cli = binary("redis-server"), binary("redis-cli")
        if server is None or cli is None:
            raise RuntimeError(MISSING)
        self._server, self._cli = server, cli
        self._dir = tempfile.TemporaryDirectory(prefix="rk-cluster-")
        self.ports = [free_port() for _ in range(masters)]
        self.bus_ports = [free_port() for _ in range(masters)]  # else port + 10000 may overflow
        self._procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for port, bus in zip(self.ports, self.bus_ports, strict=True):
            folder = Path(self._dir.name) / str(port)
            folder.mkdir()
            command = [self._server, "--port", str(port), "--bind", "127.0.0.1"]
            command += ["--cluster-port", str(bus)]
            command += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
            self._procs.append(
                subprocess.Popen(  # noqa: S603 - the installed redis-server, fixed arguments
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        for port in self.ports:
            self._wait(lambda port=port: redis.Redis(port=port, socket_timeout=0.2).ping())
        create = [self._cli, "--cluster", "create"]
        create += [f"127.0.0.1:{port}" for port in self.ports]
        create += ["--cluster-replicas", "0", "--cluster-yes"]
        subprocess.run(  # noqa: S603 - the installed redis-cli, fixed arguments
            create, check=True, capture_output=True, timeout=30
        )
        for port in self.ports:
            self._wait(lambda port=port: self._state(port) == "ok")

    @staticmethod
    def _state(port: int) -> object:
        info = redis.Redis(port=port, socket_timeout=0.2).execute_command(  # type: ignore[no-untyped-call]
            "CLUSTER INFO"
        )
        return info.get("cluster_state") if isinstance(info, dict) else None

    @staticmethod
    def _wait(ready: object) -> None:
        deadline = time.monotonic() + 20.0
        while True:
            try:
                if ready():  # type: ignore[operator]
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the Redis cluster did not come up")
            time.sleep(0.05)  # a real wait: servers are starting

    def client(self) -> redis.cluster.RedisCluster:
        return redis.cluster.RedisCluster(host="127.0.0.1", port=self.ports[0])

    def close(self) -> None:
        for proc in self._procs:
            proc.kill()
            proc.wait(5)
        self._procs.clear()
        self._dir.cleanup()
