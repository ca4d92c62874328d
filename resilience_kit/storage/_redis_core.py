"""The machinery under ``RedisStorage``: its own client, the runners that fall back to local
state when Redis cannot answer, and the write-back after an outage."""

from __future__ import annotations

import inspect
import itertools
import threading
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, TypeVar

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster

from resilience_kit._checks import check_name
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.storage._base import Storage
from resilience_kit.storage._redis_scripts import SCRIPTS
from resilience_kit.storage._redis_support import Health, Mirror, bounded, parse, positive, to_ms

T = TypeVar("T")
_CLIENTS = (
    redis.Redis,
    redis.asyncio.Redis,
    redis.cluster.RedisCluster,
    redis.asyncio.cluster.RedisCluster,
)


class RedisClient(Protocol):
    """A ``redis.Redis``, ``redis.asyncio.Redis`` or (asyncio) ``RedisCluster`` (checked at
    construction); a Protocol so the signature is typed without the ``redis`` package installed."""

    def register_script(self, script: str, /) -> object: ...


async def value(reply: Any) -> Any:
    """The answer of a client call: awaited for an asyncio client, as is for a sync one."""
    return await reply if inspect.isawaitable(reply) else reply


def _not_a_client(client: object) -> str:
    """Why *client* is refused, naming its type only: a URL or a key holds a password."""
    wanted = "must be a redis.Redis, redis.asyncio.Redis or (asyncio) RedisCluster"
    if isinstance(client, str) and "://" in client:
        return f"{wanted}, got a URL string: pass redis.Redis.from_url(url) instead"
    return f"{wanted}, got {type(client).__name__}"


class RedisCore(Storage):
    """Client, outage handling and resync of `RedisStorage` (which adds the operations)."""

    def __init__(
        self,
        client: RedisClient,
        prefix: str = "resilience_kit",
        *,
        op_timeout: float = 0.25,
        retry_interval: float = 5.0,
    ) -> None:
        if not isinstance(client, _CLIENTS):
            raise ConfigurationError("client", _not_a_client(client))
        self.prefix: str = check_name("prefix", prefix)
        self.op_timeout: float = positive("op_timeout", op_timeout, allow_zero=False)
        self.retry_interval: float = positive("retry_interval", retry_interval, allow_zero=True)
        self.is_async: bool = isinstance(
            client, redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster
        )
        self._client = bounded(client, self.op_timeout)
        self._scripts = {key: self._client.register_script(src) for key, src in SCRIPTS.items()}
        self._local = Mirror()
        self._health = Health(prefix, self.retry_interval)
        self._dirty_lock = threading.Lock()
        self._dirty_breakers: set[str] = set()
        self._dirty_gates: set[str] = set()
        # probe leases whose release did not reach Redis: (key, token), removed at the next
        # resync (a lease left there would hold its slot for the whole probe_lease, fleet-wide)
        self._dirty_releases: set[tuple[str, str]] = set()
        self._ids = itertools.count(1)
        self._nonce = uuid.uuid4().hex[:12]

    def __repr__(self) -> str:
        return f"<RedisStorage prefix={self.prefix!r} async={self.is_async}>"

    @property
    def available(self) -> bool:
        """False during an outage (operations are answered from local state)."""
        return self._health.down_since is None

    def close(self) -> None:
        """Close the storage's own connection pool (the client you passed stays open)."""
        if not self.is_async:
            self._client.close()

    async def aclose(self) -> None:
        """Close the storage's own connection pool of an asyncio client."""
        if self.is_async:
            await value(self._client.aclose())

    # -- keys and small helpers ------------------------------------------------------------
    def _key(self, kind: str, name: str, *parts: str) -> str:
        """``{prefix:kind:name}:part...``: the braces are a Cluster hash tag, so the keys of one
        object share a slot (a name holding ``}`` cuts the tag short, the same way for all)."""
        return ":".join(("{" + ":".join((self.prefix, kind, name)) + "}", *parts))

    def _member(self) -> str:
        return f"{self._nonce}:{next(self._ids)}"

    def _mark(self, dirty: set[str], name: str) -> None:
        with self._dirty_lock:
            dirty.add(name)

    def _dirty(self) -> bool:
        return bool(self._dirty_breakers or self._dirty_gates or self._dirty_releases)

    def _release_local(self, name: str, key: str, token: str) -> None:
        """A release Redis did not get: give the slot back here, and in Redis at the resync."""
        with self._dirty_lock:
            self._dirty_releases.add((key, token))
        self._local.probe_release(name, token)

    # -- the runners: Redis when usable, else local state ----------------------------------
    def _run(self, operation: str, remote: Callable[[], T], local: Callable[[], T]) -> T:
        if self.is_async:
            return local()
        admitted = self._health.admit()
        if admitted == Health.NO:
            return local()
        try:
            if self._dirty():
                self._flush()
            result = remote()
        except Exception as exc:  # any Redis trouble: answer locally, never raise into the call
            self._health.failed(operation, exc)
            return local()
        if admitted == Health.PROBE:
            self._health.recovered()
        return result

    async def _arun(
        self,
        operation: str,
        remote: Callable[[], Awaitable[T]],
        local: Callable[[], T],
    ) -> T:
        admitted = self._health.admit()
        if admitted == Health.NO:
            return local()
        try:
            if self._dirty():
                await self._aflush()
            result = await remote()
        except Exception as exc:  # any Redis trouble: answer locally, never raise into the call
            self._health.failed(operation, exc)
            return local()
        if admitted == Health.PROBE:
            self._health.recovered()
        return result

    def _call(self, script: str, keys: list[str], args: list[Any]) -> Any:
        return self._scripts[script](keys=keys, args=args)

    # -- resync after an outage --------------------------------------------------------------
    def _resync(self) -> list[tuple[Callable[[], Any], Callable[[Any], None]]]:
        """What changed only locally, as (Redis call, handler of its reply) steps."""
        with self._dirty_lock:
            breakers, gates = sorted(self._dirty_breakers), sorted(self._dirty_gates)
            releases = sorted(self._dirty_releases)
        steps: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []
        for name in breakers:
            rec = self._local.breaker_load(name)
            if rec is None:  # nothing was published locally after all
                self._done(self._dirty_breakers, name)
                continue
            keys = [self._key("breaker", name), self._key("breaker", name, "probes")]
            args = [rec.state, rec.generation, rec.open_remaining * 1000, rec.trips]
            steps.append((partial(self._call, "merge", keys, args), partial(self._merged, name)))
        for name in gates:
            ms = to_ms(self._local.gate_remaining(name))
            steps.append(
                (
                    partial(self._call, "gate", [self._key("gate", name)], [ms]),
                    partial(self._done, self._dirty_gates, name),
                )
            )
        for key, token in releases:
            steps.append(
                (partial(self._client.zrem, key, token), partial(self._released, key, token))
            )
        return steps

    def _released(self, key: str, token: str, reply: Any = None) -> None:
        with self._dirty_lock:
            self._dirty_releases.discard((key, token))

    def _merged(self, name: str, reply: Any) -> None:
        self._local.remember(name, parse(reply))
        self._done(self._dirty_breakers, name)

    def _done(self, dirty: set[str], name: str, reply: Any = None) -> None:
        with self._dirty_lock:
            dirty.discard(name)

    def _flush(self) -> None:
        for call, handle in self._resync():
            handle(call())

    async def _aflush(self) -> None:
        for call, handle in self._resync():
            handle(await value(call()))
