"""``RedisStorage``'s token budgets of any number of limits: one atomic script per operation.

A take charges the whole cost at once or nothing (the caller waits in its own process and asks
again), so a budget never holds a reservation that no process owns: a network cut while a caller
waits leaves nothing behind in Redis.
"""

from __future__ import annotations

from typing import Any

from resilience_kit.storage._base import OptVec, Pair, Reservation, Vec
from resilience_kit.storage._redis_core import RedisCore, value


class RedisTokens(RedisCore):
    """The ``tokens_take``/``tokens_learn``/``tokens_settle`` part of ``RedisStorage``."""

    def _vector_key(self, name: str) -> list[str]:
        return [self._key("tokenv", name)]

    @staticmethod
    def _head(rate: Vec, cap: Vec) -> list[str]:
        return [str(len(rate)), *map(repr, rate), *map(repr, cap)]

    @staticmethod
    def _taken(reply: Any) -> Reservation:
        items = [item.decode() if isinstance(item, bytes) else str(item) for item in reply]
        if len(items) == 1:  # it does not fit yet: nothing was taken
            return Reservation(max(float(items[0]), 0.0) / 1000, None)
        return Reservation(0.0, tuple(float(item) for item in items[1:]))

    def tokens_take(self, name: str, *, cost: Vec, rate: Vec, cap: Vec) -> Reservation:
        args = [*self._head(rate, cap), *map(repr, cost)]
        return self._run(
            "tokens_take",
            lambda: self._taken(self._call("tokens_take", self._vector_key(name), args)),
            lambda: self._local.tokens_take(name, cost=cost, rate=rate, cap=cap),
        )

    async def atokens_take(self, name: str, *, cost: Vec, rate: Vec, cap: Vec) -> Reservation:
        args = [*self._head(rate, cap), *map(repr, cost)]

        async def remote() -> Reservation:
            return self._taken(await value(self._call("tokens_take", self._vector_key(name), args)))

        return await self._arun(
            "tokens_take",
            remote,
            lambda: self._local.tokens_take(name, cost=cost, rate=rate, cap=cap),
        )

    def _learn_args(
        self, remaining: OptVec, age: float, sent: Vec, rate: Vec, cap: Vec, gain: Pair
    ) -> list[str]:
        left = ["" if item is None else repr(item) for item in remaining]
        head = [*self._head(rate, cap), repr(age * 1000), *map(repr, gain)]
        return [*head, *left, *map(repr, sent)]

    def tokens_learn(
        self,
        name: str,
        *,
        remaining: OptVec,
        age: float,
        sent: Vec,
        rate: Vec,
        cap: Vec,
        gain: Pair = (1.0, 1.0),
    ) -> None:
        args = self._learn_args(remaining, age, sent, rate, cap, gain)
        self._run(
            "tokens_learn",
            lambda: self._call("tokens_learn", self._vector_key(name), args),
            lambda: self._local.tokens_learn(
                name, remaining=remaining, age=age, sent=sent, rate=rate, cap=cap, gain=gain
            ),
        )

    async def atokens_learn(
        self,
        name: str,
        *,
        remaining: OptVec,
        age: float,
        sent: Vec,
        rate: Vec,
        cap: Vec,
        gain: Pair = (1.0, 1.0),
    ) -> None:
        args = self._learn_args(remaining, age, sent, rate, cap, gain)

        async def remote() -> None:
            await value(self._call("tokens_learn", self._vector_key(name), args))

        await self._arun(
            "tokens_learn",
            remote,
            lambda: self._local.tokens_learn(
                name, remaining=remaining, age=age, sent=sent, rate=rate, cap=cap, gain=gain
            ),
        )

    def tokens_settle(self, name: str, *, level: Vec, sent: Vec, rate: Vec, cap: Vec) -> None:
        args = [*self._head(rate, cap), *map(repr, level), *map(repr, sent)]
        self._run(
            "tokens_settle",
            lambda: self._call("tokens_settle", self._vector_key(name), args),
            lambda: self._local.tokens_settle(name, level=level, sent=sent, rate=rate, cap=cap),
        )

    async def atokens_settle(
        self, name: str, *, level: Vec, sent: Vec, rate: Vec, cap: Vec
    ) -> None:
        args = [*self._head(rate, cap), *map(repr, level), *map(repr, sent)]

        async def remote() -> None:
            await value(self._call("tokens_settle", self._vector_key(name), args))

        await self._arun(
            "tokens_settle",
            remote,
            lambda: self._local.tokens_settle(name, level=level, sent=sent, rate=rate, cap=cap),
        )
