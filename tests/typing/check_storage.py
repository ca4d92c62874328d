"""Checked by ``mypy --strict``, never executed: RedisStorage's types as users see them."""

from __future__ import annotations

import redis
import redis.asyncio
from typing_extensions import assert_type

import resilience_kit as rk
from resilience_kit.storage import BreakerRecord, RedisStorage, Storage

sync_storage = RedisStorage(redis.Redis(), prefix="app", op_timeout=0.1, retry_interval=2.0)
async_storage = RedisStorage(redis.asyncio.Redis())
assert_type(sync_storage, RedisStorage)
storage: Storage = async_storage
assert_type(sync_storage.breaker_load("api"), BreakerRecord | None)
assert_type(sync_storage.probe_acquire("api", generation=1, limit=1, lease_seconds=1.0), str | None)
assert_type(sync_storage.available, bool)
rk.CircuitBreaker("api", storage=sync_storage)
rk.RateLimitGate("api", storage=async_storage)
rk.RetryBudget(name="api", storage=sync_storage)

RedisStorage("redis://localhost")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
RedisStorage(redis.Redis(), op_timeout="1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
