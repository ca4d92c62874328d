"""``RedisStorage``: breakers, gates and budgets shared by every process that reaches one Redis.

Each state change is one Lua script (see ``_redis_scripts``), atomic on the server and timed by the
server's clock. When Redis cannot be reached within the socket timeouts, the operation is answered
from a local :class:`MemoryStorage` that mirrors the last state read from Redis; Redis is tried
again after ``retry_interval`` and what changed locally meanwhile is written back.
"""

from __future__ import annotations

import inspect
import itertools
import threading
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import redis
import redis.asyncio

from resilience_kit._checks import check_name
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.storage._base import BreakerRecord, BreakerStateName, Storage
from resilience_kit.storage._redis_scripts import SCRIPTS
from resilience_kit.storage._redis_support import Health, Mirror, bounded, parse, positive, to_ms

T = TypeVar("T")


async def _value(reply: Any) -> Any:
    """The answer of a client call: awaited for an asyncio client, as is for a sync one."""
    return await reply if inspect.isawaitable(reply) else reply


class RedisStorage(Storage):
    """Shared state in Redis for breakers, rate-limit gates and retry budgets in many processes.

    *client* is a ``redis.Redis`` (serves the sync methods) or a ``redis.asyncio.Redis`` (serves
    the ``a*`` methods; its sync methods answer from the local mirror of the last state read, as
    during an outage). Keys are ``{prefix}:breaker:{name}``, ``{prefix}:breaker:{name}:probes``,
    ``{prefix}:gate:{name}``, ``{prefix}:budget:{name}:requests`` and ``...:retries``.

    The storage talks through a pool of its own, opened with *client*'s connection settings
    (host, db, auth, TLS) but both socket timeouts set to *op_timeout* seconds and one immediate
    retry, so a dead or stalled server costs one caller about ``2 * op_timeout`` at most, and your
    client's own timeouts and retries are left alone. A sync client also serves the ``a*``
    methods (one short blocking round trip each).

    When an operation fails, it is answered locally, ``storage_unavailable`` is logged once, and
    Redis is not asked again for *retry_interval* seconds; then one caller probes it, writes back
    what changed locally (newer breaker generations, gate blocks), and logs ``storage_recovered``.
    Nothing the storage does raises into the caller.
    """

    def __init__(
        self,
        client: redis.Redis | redis.asyncio.Redis,
        prefix: str = "resilience_kit",
        *,
        op_timeout: float = 0.25,
        retry_interval: float = 5.0,
    ) -> None:
        if not isinstance(client, redis.Redis | redis.asyncio.Redis):
            raise ConfigurationError(
                "client", f"must be a redis.Redis or redis.asyncio.Redis, got {client!r}"
            )
        self.prefix = check_name("prefix", prefix)
        self.op_timeout = positive("op_timeout", op_timeout, allow_zero=False)
        self.retry_interval = positive("retry_interval", retry_interval, allow_zero=True)
        self.is_async = isinstance(client, redis.asyncio.Redis)
        self._client = bounded(client, self.op_timeout)
        self._scripts = {key: self._client.register_script(src) for key, src in SCRIPTS.items()}
        self._local = Mirror()
        self._health = Health(prefix, self.retry_interval)
        self._dirty_lock = threading.Lock()
        self._dirty_breakers: set[str] = set()
        self._dirty_gates: set[str] = set()
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
            await _value(self._client.aclose())

    # -- keys and small helpers ------------------------------------------------------------
    def _key(self, kind: str, name: str, *parts: str) -> str:
        return ":".join((self.prefix, kind, name, *parts))

    def _member(self) -> str:
        return f"{self._nonce}:{next(self._ids)}"

    def _mark(self, dirty: set[str], name: str) -> None:
        with self._dirty_lock:
            dirty.add(name)

    # -- the runners: Redis when usable, else local state ----------------------------------
    def _run(self, operation: str, remote: Callable[[], T], local: Callable[[], T]) -> T:
        if self.is_async:
            return local()
        admitted = self._health.admit()
        if admitted == Health.NO:
            return local()
        try:
            if self._dirty_breakers or self._dirty_gates:
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
            if self._dirty_breakers or self._dirty_gates:
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
        return steps

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
            handle(await _value(call()))

    # -- circuit breaker -------------------------------------------------------------------
    def _load_args(self, name: str) -> list[str]:
        return [self._key("breaker", name)]

    def _remembered(self, name: str, reply: Any) -> BreakerRecord | None:
        record = parse(reply)
        self._local.remember(name, record)
        return record

    def _published(self, name: str, reply: Any) -> BreakerRecord:
        record = self._remembered(name, reply)
        if record is None:
            raise ValueError("the publish script returned no record")
        return record

    def breaker_load(self, name: str) -> BreakerRecord | None:
        return self._run(
            "breaker_load",
            lambda: self._remembered(name, self._call("load", self._load_args(name), [])),
            lambda: self._local.breaker_load(name),
        )

    async def abreaker_load(self, name: str) -> BreakerRecord | None:
        async def remote() -> BreakerRecord | None:
            return self._remembered(
                name, await _value(self._call("load", self._load_args(name), []))
            )

        return await self._arun(
            "breaker_load",
            remote,
            lambda: self._local.breaker_load(name),
        )

    def _publish_args(
        self, name: str, expected: int, state: str, open_seconds: float, trips: int
    ) -> tuple[list[str], list[Any]]:
        keys = [self._key("breaker", name), self._key("breaker", name, "probes")]
        return keys, [expected, state, max(open_seconds, 0.0) * 1000, trips]

    def _publish_local(
        self, name: str, expected: int, state: BreakerStateName, open_seconds: float, trips: int
    ) -> BreakerRecord:
        self._mark(self._dirty_breakers, name)
        return self._local.breaker_publish(
            name, expected_generation=expected, state=state, open_seconds=open_seconds, trips=trips
        )

    def breaker_publish(
        self,
        name: str,
        *,
        expected_generation: int,
        state: BreakerStateName,
        open_seconds: float = 0.0,
        trips: int = 0,
    ) -> BreakerRecord:
        args = (name, expected_generation, state, open_seconds, trips)
        return self._run(
            "breaker_publish",
            lambda: self._published(name, self._call("publish", *self._publish_args(*args))),
            lambda: self._publish_local(*args),
        )

    async def abreaker_publish(
        self,
        name: str,
        *,
        expected_generation: int,
        state: BreakerStateName,
        open_seconds: float = 0.0,
        trips: int = 0,
    ) -> BreakerRecord:
        args = (name, expected_generation, state, open_seconds, trips)

        async def remote() -> BreakerRecord:
            reply = await _value(self._call("publish", *self._publish_args(*args)))
            return self._published(name, reply)

        return await self._arun("breaker_publish", remote, lambda: self._publish_local(*args))

    def _acquire_args(
        self, name: str, generation: int, limit: int, lease_seconds: float
    ) -> tuple[list[str], list[Any], str]:
        token = f"{generation}:{self._member()}"
        keys = [self._key("breaker", name), self._key("breaker", name, "probes")]
        return keys, [generation, limit, lease_seconds * 1000, token], token

    def probe_acquire(
        self, name: str, *, generation: int, limit: int, lease_seconds: float
    ) -> str | None:
        keys, args, token = self._acquire_args(name, generation, limit, lease_seconds)
        return self._run(
            "probe_acquire",
            lambda: token if self._call("acquire", keys, args) else None,
            lambda: self._local.probe_acquire(
                name, generation=generation, limit=limit, lease_seconds=lease_seconds
            ),
        )

    async def aprobe_acquire(
        self, name: str, *, generation: int, limit: int, lease_seconds: float
    ) -> str | None:
        keys, args, token = self._acquire_args(name, generation, limit, lease_seconds)

        async def remote() -> str | None:
            return token if await _value(self._call("acquire", keys, args)) else None

        return await self._arun(
            "probe_acquire",
            remote,
            lambda: self._local.probe_acquire(
                name, generation=generation, limit=limit, lease_seconds=lease_seconds
            ),
        )

    def probe_release(self, name: str, token: str) -> None:
        key = self._key("breaker", name, "probes")
        self._run(
            "probe_release",
            lambda: self._client.zrem(key, token),
            lambda: self._local.probe_release(name, token),
        )

    async def aprobe_release(self, name: str, token: str) -> None:
        key = self._key("breaker", name, "probes")

        async def remote() -> None:
            await _value(self._client.zrem(key, token))

        await self._arun(
            "probe_release",
            remote,
            lambda: self._local.probe_release(name, token),
        )

    # -- rate-limit gate -------------------------------------------------------------------
    def _gate_local(self, name: str, seconds: float) -> float:
        self._mark(self._dirty_gates, name)
        return self._local.gate_extend(name, seconds)

    def _gate_seen(self, name: str, reply: Any) -> float:
        seconds = max(int(reply), 0) / 1000
        if seconds > 0:
            self._local.gate_extend(name, seconds)
        return seconds

    def gate_extend(self, name: str, seconds: float) -> float:
        key = self._key("gate", name)
        return self._run(
            "gate_extend",
            lambda: self._gate_seen(name, self._call("gate", [key], [to_ms(seconds)])),
            lambda: self._gate_local(name, seconds),
        )

    async def agate_extend(self, name: str, seconds: float) -> float:
        key = self._key("gate", name)

        async def remote() -> float:
            return self._gate_seen(name, await _value(self._call("gate", [key], [to_ms(seconds)])))

        return await self._arun(
            "gate_extend",
            remote,
            lambda: self._gate_local(name, seconds),
        )

    def gate_remaining(self, name: str) -> float:
        key = self._key("gate", name)
        return self._run(
            "gate_remaining",
            lambda: self._gate_seen(name, self._client.pttl(key)),
            lambda: self._local.gate_remaining(name),
        )

    async def agate_remaining(self, name: str) -> float:
        key = self._key("gate", name)

        async def remote() -> float:
            return self._gate_seen(name, await _value(self._client.pttl(key)))

        return await self._arun(
            "gate_remaining",
            remote,
            lambda: self._local.gate_remaining(name),
        )

    # -- retry budget ----------------------------------------------------------------------
    def _request_args(self, name: str, window: float) -> tuple[list[str], list[Any]]:
        return [self._key("budget", name, "requests")], [window * 1000, self._member()]

    def _retry_args(
        self, name: str, ratio: float, min_per_second: float, window: float
    ) -> tuple[list[str], list[Any]]:
        keys = [self._key("budget", name, "requests"), self._key("budget", name, "retries")]
        return keys, [repr(ratio), repr(min_per_second), repr(window), self._member()]

    def budget_record_request(self, name: str, *, window: float) -> None:
        self._run(
            "budget_record_request",
            lambda: self._call("request", *self._request_args(name, window)),
            lambda: self._local.budget_record_request(name, window=window),
        )

    async def abudget_record_request(self, name: str, *, window: float) -> None:
        async def remote() -> None:
            await _value(self._call("request", *self._request_args(name, window)))

        await self._arun(
            "budget_record_request",
            remote,
            lambda: self._local.budget_record_request(name, window=window),
        )

    def budget_try_retry(
        self, name: str, *, ratio: float, min_per_second: float, window: float
    ) -> bool:
        args = self._retry_args(name, ratio, min_per_second, window)
        return self._run(
            "budget_try_retry",
            lambda: bool(self._call("retry", *args)),
            lambda: self._local.budget_try_retry(
                name, ratio=ratio, min_per_second=min_per_second, window=window
            ),
        )

    async def abudget_try_retry(
        self, name: str, *, ratio: float, min_per_second: float, window: float
    ) -> bool:
        args = self._retry_args(name, ratio, min_per_second, window)

        async def remote() -> bool:
            return bool(await _value(self._call("retry", *args)))

        return await self._arun(
            "budget_try_retry",
            remote,
            lambda: self._local.budget_try_retry(
                name, ratio=ratio, min_per_second=min_per_second, window=window
            ),
        )
