"""``RetryBudget``: retries across every call that shares it stay under a share of the requests.

A storm multiplies load by the number of attempts; a budget caps the multiplier (the idea of
Finagle's and gRPC's retry budgets). Counting lives in a
[`Storage`][resilience_kit.storage.Storage] (``budget_record_request`` / ``budget_try_retry``), so
``RedisStorage`` shares one budget across processes. ``async def`` functions consult it on the
storage's async path (``abudget_*``): a ``redis.asyncio`` client never blocks the event loop, and a
sync ``redis.Redis`` client is asked from a worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import itertools

from resilience_kit import _events
from resilience_kit._checks import check_instance, check_name, check_number, check_seconds
from resilience_kit._retry._observers import AttemptRecord, RetryObserver
from resilience_kit.storage._base import BudgetStore
from resilience_kit.storage._memory import MemoryStorage

_anonymous = itertools.count(1)


class RetryBudget:
    """Allow retries while ``retries <= ratio * requests + min_per_second * window`` over the
    last *window* seconds.

    Pass it to ``@retry(..., budget=budget)`` (or ``resilient(..., budget=budget)``) on as many
    functions as should share it: each first attempt is recorded as a request, each retry must
    take a token first, and when none is left the retry gives up at once (the original exception
    is re-raised with a note, and a ``budget_exhausted`` event is logged). *min_per_second* keeps
    a trickle of retries possible at low traffic.
    """

    def __init__(
        self,
        ratio: float = 0.2,
        min_per_second: float = 10.0,
        window: float = 10.0,
        *,
        name: str | None = None,
        storage: BudgetStore | None = None,
    ) -> None:
        self.ratio: float = check_number("ratio", ratio, at_least=0.0, at_most=1e6)
        self.min_per_second: float = check_number(
            "min_per_second", min_per_second, at_least=0.0, at_most=1e9
        )
        self.window: float = check_seconds("window", window, above=0.0)
        self.name: str = check_name("name", f"budget-{next(_anonymous)}" if name is None else name)
        if storage is not None:
            check_instance(
                "storage",
                storage,
                BudgetStore,
                what="a BudgetStore or None",
            )
        self.storage: BudgetStore = MemoryStorage() if storage is None else storage

    def record_request(self) -> None:
        """Count one first attempt."""
        self.storage.budget_record_request(self.name, window=self.window)

    def try_retry(self, *, function: str = "") -> bool:
        """Take one retry token; False (and a ``budget_exhausted`` event) when none is left."""
        allowed = self.storage.budget_try_retry(
            self.name, ratio=self.ratio, min_per_second=self.min_per_second, window=self.window
        )
        if not allowed:
            self._exhausted(function)
        return allowed

    def _blocks(self) -> bool:
        """Whether the storage's async methods would block the event loop (a ``RedisStorage``
        over a sync client: one network round trip each)."""
        return getattr(self.storage, "is_async", None) is False

    async def arecord_request(self) -> None:
        """Async `record_request()`: never blocks the event loop."""
        if self._blocks():
            import asyncio  # loaded on first async use

            await asyncio.to_thread(self.record_request)
            return
        await self.storage.abudget_record_request(self.name, window=self.window)

    async def atry_retry(self, *, function: str = "") -> bool:
        """Async `try_retry()`: never blocks the event loop."""
        if self._blocks():
            import asyncio  # loaded on first async use

            return await asyncio.to_thread(self.try_retry, function=function)
        allowed = await self.storage.abudget_try_retry(
            self.name, ratio=self.ratio, min_per_second=self.min_per_second, window=self.window
        )
        if not allowed:
            self._exhausted(function)
        return allowed

    def _exhausted(self, function: str) -> None:
        _events.emit(
            "budget_exhausted",
            level="warning",
            budget=self.name,
            function=function,
            ratio=self.ratio,
            min_per_second=self.min_per_second,
            window=self.window,
        )

    def note(self) -> str:
        """The note added to an exception whose retries the budget stopped."""
        return (
            f"retry budget {self.name!r} exhausted (ratio {self.ratio:g}, "
            f"{self.min_per_second:g}/s over {self.window:g}s): gave up without retrying"
        )


class BudgetObserver(RetryObserver):
    """Plugs a `RetryBudget` into ``@retry``: first attempts are requests, retries need a token.

    Without a token the retry is vetoed (``budget_exhausted``). ``async def`` functions take the
    budget's async path (the ``a*`` methods).
    """

    wants_before_attempt = True

    def __init__(self, budget: RetryBudget) -> None:
        self.budget = budget

    def before_attempt(self, function: str, attempt: int) -> None:
        if attempt == 1:
            self.budget.record_request()

    def veto_retry(self, event: AttemptRecord) -> str | None:
        if self.budget.try_retry(function=event.function):
            return None
        return "budget_exhausted"

    async def abefore_attempt(self, function: str, attempt: int) -> None:
        if attempt == 1:
            await self.budget.arecord_request()

    async def aveto_retry(self, event: AttemptRecord) -> str | None:
        if await self.budget.atry_retry(function=event.function):
            return None
        return "budget_exhausted"
