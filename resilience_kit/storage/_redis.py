"""``RedisStorage``: breakers, gates and budgets shared by every process that reaches one Redis.

Each state change is one Lua script (see ``_redis_scripts``), atomic on the server and timed by the
server's clock. When Redis cannot be reached within the socket timeouts, the operation is answered
from a local [`MemoryStorage`][resilience_kit.storage.MemoryStorage] that mirrors the last state
read from Redis; Redis is tried again after ``retry_interval`` and what changed locally meanwhile is
written back (``_redis_core``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from resilience_kit.storage._base import BreakerRecord, BreakerStateName
from resilience_kit.storage._redis_core import value
from resilience_kit.storage._redis_support import parse, to_ms
from resilience_kit.storage._redis_tokens import RedisTokens


class RedisStorage(RedisTokens):
    """Shared state in Redis for breakers, rate-limit gates, retry budgets and token budgets in
    many processes.

    *client* is a ``redis.Redis`` (serves the sync methods) or a ``redis.asyncio.Redis`` (serves
    the ``a*`` methods; its sync methods answer from the local mirror of the last state read, as
    during an outage) or a ``redis.cluster.RedisCluster``. Keys are ``{prefix:breaker:name}``,
    ``{prefix:breaker:name}:probes``, ``{prefix:gate:name}``, ``{prefix:budget:name}:requests``
    and ``...:retries``, ``{prefix:tokenv:name}``: the braces are a Redis Cluster hash tag, so
    each object's keys share one slot and its scripts run on one node.

    Token budgets (``TokenLimiter``, ``_redis_tokens``) are taken whole or not at all by one
    script per call, timed by the server; an answer corrects a budget for the calls other
    processes took meanwhile (they are counted in ``sent`` and subtracted), never by clock
    differences between workers.

    The storage talks through a pool of its own, opened with *client*'s connection settings
    (host, db, auth, TLS) but both socket timeouts set to *op_timeout* seconds and one immediate
    retry, so a dead or stalled server costs one caller about ``2 * op_timeout`` at most, and your
    client's own timeouts and retries are left alone. A sync client also serves the ``a*``
    methods of breakers, gates and budgets in a worker thread (``asyncio.to_thread``), so async
    callers never block the event loop on it (token budgets: one short blocking round trip).

    When an operation fails, it is answered locally, ``storage_unavailable`` is logged once, and
    Redis is not asked again for *retry_interval* seconds; then one caller probes it, writes back
    what changed locally (newer breaker generations, gate blocks), and logs ``storage_recovered``.
    Nothing the storage does raises into the caller.
    """

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
        if not self.is_async:  # a sync client: its round trip runs in a worker thread
            return await asyncio.to_thread(self.breaker_load, name)

        async def remote() -> BreakerRecord | None:
            return self._remembered(
                name, await value(self._call("load", self._load_args(name), []))
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
        if not self.is_async:
            return await asyncio.to_thread(
                self.breaker_publish,
                name,
                expected_generation=expected_generation,
                state=state,
                open_seconds=open_seconds,
                trips=trips,
            )
        args = (name, expected_generation, state, open_seconds, trips)

        async def remote() -> BreakerRecord:
            reply = await value(self._call("publish", *self._publish_args(*args)))
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
        if not self.is_async:
            return await asyncio.to_thread(
                self.probe_acquire,
                name,
                generation=generation,
                limit=limit,
                lease_seconds=lease_seconds,
            )
        keys, args, token = self._acquire_args(name, generation, limit, lease_seconds)

        async def remote() -> str | None:
            return token if await value(self._call("acquire", keys, args)) else None

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
            lambda: self._release_local(name, key, token),
        )

    async def aprobe_release(self, name: str, token: str) -> None:
        if not self.is_async:
            await asyncio.to_thread(self.probe_release, name, token)
            return
        key = self._key("breaker", name, "probes")

        async def remote() -> None:
            await value(self._client.zrem(key, token))

        await self._arun(
            "probe_release",
            remote,
            lambda: self._release_local(name, key, token),
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
        if not self.is_async:  # a sync client: its round trip runs in a worker thread
            return await asyncio.to_thread(self.gate_extend, name, seconds)
        key = self._key("gate", name)

        async def remote() -> float:
            return self._gate_seen(name, await value(self._call("gate", [key], [to_ms(seconds)])))

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
        if not self.is_async:
            return await asyncio.to_thread(self.gate_remaining, name)
        key = self._key("gate", name)

        async def remote() -> float:
            return self._gate_seen(name, await value(self._client.pttl(key)))

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
        if not self.is_async:
            await asyncio.to_thread(self.budget_record_request, name, window=window)
            return

        async def remote() -> None:
            await value(self._call("request", *self._request_args(name, window)))

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
        if not self.is_async:
            return await asyncio.to_thread(
                self.budget_try_retry,
                name,
                ratio=ratio,
                min_per_second=min_per_second,
                window=window,
            )
        args = self._retry_args(name, ratio, min_per_second, window)

        async def remote() -> bool:
            return bool(await value(self._call("retry", *args)))

        return await self._arun(
            "budget_try_retry",
            remote,
            lambda: self._local.budget_try_retry(
                name, ratio=ratio, min_per_second=min_per_second, window=window
            ),
        )
