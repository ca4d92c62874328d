"""Helpers of ``RedisStorage``: the local mirror, the outage tracker, replies and clients."""

from __future__ import annotations

import math
import threading
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster
import redis.retry
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff

from resilience_kit import _clock, _events
from resilience_kit._checks import check_float
from resilience_kit.storage._base import BreakerRecord
from resilience_kit.storage._memory import MemoryStorage, _Breaker

_STATES: frozenset[str] = frozenset({"closed", "open", "half_open"})


class Mirror(MemoryStorage):
    """The local fallback: a MemoryStorage that also remembers records read from Redis."""

    def remember(self, name: str, record: BreakerRecord | None) -> None:
        if record is None:
            return
        now = self._now()
        with self._lock:
            entry = self._breakers.get(name)
            if entry is not None and (entry.generation, entry.state) == (
                record.generation,
                record.state,
            ):
                entry.open_until = now + record.open_remaining
                return
            self._breakers[name] = _Breaker(
                record.state, record.generation, now + record.open_remaining, record.trips
            )


class Health:
    """Whether Redis is usable: an outage starts at the first failed operation and ends at the
    first successful probe, tried at most once per ``retry_interval`` by one caller at a time."""

    NO, YES, PROBE = 0, 1, 2

    def __init__(self, prefix: str, retry_interval: float) -> None:
        self._prefix = prefix
        self._retry_interval = retry_interval
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self._next_try = 0.0
        self._probing = False

    def admit(self) -> int:
        if self.down_since is None:
            return self.YES
        now = _clock.monotonic()
        with self._lock:
            if self.down_since is None:  # pyright: ignore[reportUnnecessaryComparison]
                return self.YES
            if self._probing or now < self._next_try:
                return self.NO
            self._probing = True
            return self.PROBE

    def failed(self, operation: str, exc: BaseException) -> None:
        now = _clock.monotonic()
        with self._lock:
            first = self.down_since is None
            if first:
                self.down_since = now
            self._next_try = now + self._retry_interval
            self._probing = False
        if first:
            _events.emit(
                "storage_unavailable",
                level="warning",
                backend="redis",
                prefix=self._prefix,
                operation=operation,
                error=type(exc).__name__,
                retry_interval=self._retry_interval,
            )

    def recovered(self) -> None:
        now = _clock.monotonic()
        with self._lock:
            since, self.down_since, self._probing = self.down_since, None, False
        if since is not None:
            _events.emit(
                "storage_recovered",
                backend="redis",
                prefix=self._prefix,
                outage_seconds=round(now - since, 3),
            )


def positive(field: str, value: object, *, allow_zero: bool) -> float:
    return check_float(field, value, minimum=0.0, inclusive=allow_zero)


def to_ms(seconds: float) -> int:
    return math.ceil(max(seconds, 0.0) * 1000)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse(reply: Any) -> BreakerRecord | None:
    """The breaker record in a script's reply; None when there is none or it is garbage (a
    record nobody can read is no shared state: each process's breaker goes on by itself)."""
    if not reply:
        return None
    try:
        state, generation, remaining, trips = (_text(item) for item in reply)
        record = BreakerRecord(state, int(generation), float(remaining) / 1000, int(trips))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    except (TypeError, ValueError):
        return None
    if state not in _STATES or not math.isfinite(record.open_remaining):
        return None
    return record


def bounded(client: Any, op_timeout: float) -> Any:
    """A client of our own: *client*'s connection settings (host, db, auth, TLS, ...) with both
    socket timeouts set to *op_timeout* and one immediate retry, in a pool of its own."""
    if isinstance(client, redis.cluster.RedisCluster | redis.asyncio.cluster.RedisCluster):
        return _bounded_cluster(client, op_timeout)
    pool = client.connection_pool
    kwargs = dict(pool.connection_kwargs)
    for derived in ("maint_notifications_pool_handler", "orig_socket_timeout"):
        kwargs.pop(derived, None)
    kwargs.pop("orig_socket_connect_timeout", None)
    kwargs["socket_timeout"] = op_timeout
    kwargs["socket_connect_timeout"] = op_timeout
    kwargs["retry_on_error"] = []
    if isinstance(client, redis.asyncio.Redis):
        kwargs["retry"] = AsyncRetry(NoBackoff(), 1)
        # Many tasks at once wait (up to op_timeout) for a free connection instead of failing
        # with MaxConnectionsError, which would look like an outage and fall back to local state.
        own = redis.asyncio.BlockingConnectionPool(
            connection_class=pool.connection_class,
            max_connections=pool.max_connections,
            timeout=op_timeout,
            **kwargs,
        )
        return redis.asyncio.Redis.from_pool(own)  # the client owns (and closes) its pool
    kwargs["retry"] = redis.retry.Retry(NoBackoff(), 1)
    sync_pool = redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
    return redis.Redis.from_pool(sync_pool)


def _bounded_cluster(client: Any, op_timeout: float) -> Any:
    """A cluster client of our own: the same nodes and credentials, short timeouts."""
    if isinstance(client, redis.asyncio.cluster.RedisCluster):
        kwargs = dict(client.connection_kwargs)
        nodes = [
            redis.asyncio.cluster.ClusterNode(node.host, node.port) for node in client.get_nodes()
        ] or list(client.nodes_manager.startup_nodes.values())
        factory: Any = redis.asyncio.cluster.RedisCluster
    else:
        kwargs = dict(client.nodes_manager.connection_kwargs)
        nodes = [
            redis.cluster.ClusterNode(node.host, node.port)  # type: ignore[no-untyped-call,misc]
            for node in client.get_nodes()
        ]
        factory = redis.cluster.RedisCluster
    keep = ("username", "password", "ssl", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile",
            "ssl_cert_reqs", "db", "decode_responses", "client_name", "protocol")  # fmt: skip
    options = {key: kwargs[key] for key in keep if key in kwargs and kwargs[key] is not None}
    options.pop("db", None)  # a cluster has one database
    return factory(
        startup_nodes=nodes,
        socket_timeout=op_timeout,
        socket_connect_timeout=op_timeout,
        retry=redis.retry.Retry(NoBackoff(), 1)
        if factory is redis.cluster.RedisCluster
        else AsyncRetry(NoBackoff(), 1),
        **options,
    )
