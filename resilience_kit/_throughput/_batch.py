"""``run_batch`` / ``arun_batch``: run a function over many inputs and lose none of them.

Every input ends in exactly one of ``BatchResult.results`` or ``BatchResult.failures`` (keyed by
the input's position). Inputs that failed with a retryable category (or an open circuit) are run
again in later rounds, at half the previous concurrency, after a pause that honours the largest
server hint seen. Two functions rather than one that inspects *fn*: each has an exact signature,
and a sync function is never silently run on an event loop (or a coroutine left un-awaited).
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from resilience_kit import _clock
from resilience_kit._categories import ErrorCategory
from resilience_kit._checks import check_int, check_number
from resilience_kit._classify._dispatch import Classification, classify
from resilience_kit._throughput._guard import function_name
from resilience_kit.exceptions import ConfigurationError

T = TypeVar("T")
R = TypeVar("R")

_MAX_PAUSE = 60.0  # a server hint longer than this does not stall a batch between rounds


@dataclass(frozen=True)
class BatchFailure(Generic[T]):
    """An input that failed in its last round: the exception, its classification, and how many
    times the batch called the function with it."""

    index: int
    item: T
    exception: BaseException
    classification: Classification
    attempts: int


@dataclass(frozen=True)
class BatchResult(Generic[T, R]):
    """Outcome of a batch. ``results`` and ``failures`` are keyed by input position and never
    share a key; together they hold every input."""

    results: dict[int, R] = field(default_factory=dict)
    failures: dict[int, BatchFailure[T]] = field(default_factory=dict)
    rounds: int = 0

    @property
    def ok(self) -> bool:
        """True when every input succeeded."""
        return not self.failures

    def values(self) -> list[R]:
        """Successful results in input order."""
        return [self.results[index] for index in sorted(self.results)]

    def summary(self) -> dict[str, int]:
        """Counts: ``ok`` for successes, then one entry per failure category."""
        counts: Counter[str] = Counter(
            f.classification.category.value for f in self.failures.values()
        )
        return {"ok": len(self.results), **dict(sorted(counts.items()))}


def _rerun(failure: BatchFailure[Any]) -> bool:
    return (
        failure.classification.retryable
        or failure.classification.category is ErrorCategory.CIRCUIT_OPEN
    )


class _Run(Generic[T, R]):
    """Bookkeeping shared by the sync and async drivers."""

    def __init__(self, items: Sequence[T], rounds: int, pause: float, progress: bool | None):
        self.items = items
        self.rounds = rounds
        self.pause = pause
        self.attempts = [0] * len(items)
        self.results: dict[int, R] = {}
        self.failures: dict[int, BatchFailure[T]] = {}
        self.show = sys.stderr.isatty() if progress is None else progress
        self.done = 0
        self.last_draw = -1.0

    def succeeded(self, index: int, value: R) -> None:
        self.failures.pop(index, None)
        self.results[index] = value
        self._tick()

    def failed(self, index: int, exc: Exception) -> None:
        self.failures[index] = BatchFailure(
            index, self.items[index], exc, classify(exc), self.attempts[index]
        )
        self._tick()

    def next_round(self, round_no: int) -> tuple[list[int], float]:
        """Inputs to run again and the pause before doing so (empty: stop)."""
        if round_no + 1 >= self.rounds:
            return [], 0.0
        again = sorted(i for i, f in self.failures.items() if _rerun(f))
        hints = [self.failures[i].classification.retry_after or 0.0 for i in again]
        wait = max([self.pause, *hints])
        self.done = len(self.results)
        return again, min(wait, _MAX_PAUSE)

    def _tick(self) -> None:
        self.done += 1
        if not self.show:
            return
        now = _clock.monotonic()
        if now - self.last_draw >= 0.1 or self.done == len(self.items):
            self.last_draw = now
            sys.stderr.write(
                f"\rbatch: {self.done}/{len(self.items)} done, {len(self.failures)} failed "
            )
            sys.stderr.flush()

    def finish(self, rounds: int) -> BatchResult[T, R]:
        if self.show:
            sys.stderr.write("\n")
            sys.stderr.flush()
        return BatchResult(dict(sorted(self.results.items())), self.failures, rounds)


class _NotAsyncError(ConfigurationError):
    def __init__(self, name: str) -> None:
        super().__init__("fn", f"{name} did not return an awaitable; use run_batch")


async def _awaited(fn: Callable[[T], Awaitable[R]], item: T) -> R:
    pending = fn(item)
    if not inspect.isawaitable(pending):
        raise _NotAsyncError(function_name(fn))
    return await pending


def _check(concurrency: int, rounds: int, pause: float) -> tuple[int, int, float]:
    return (
        check_int("concurrency", concurrency, 1),
        check_int("rounds", rounds, 1),
        check_number("pause", pause, at_least=0.0),
    )


def run_batch(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    concurrency: int = 8,
    rounds: int = 3,
    pause: float = 1.0,
    progress: bool | None = None,
) -> BatchResult[T, R]:
    """Call *fn* on every item from *concurrency* threads; returns a `BatchResult`.

    See [`BatchResult`][resilience_kit.BatchResult] for what it holds.

    Up to *rounds* rounds: after each, inputs that failed with a retryable category (or an open
    circuit) run again at half the concurrency, after at least *pause* seconds (longer when a
    server hint asks, up to 60 s). *progress* draws a line on stderr (default: when stderr is a
    terminal). ``KeyboardInterrupt`` and other non-``Exception`` errors abort the batch.
    For async functions use [`arun_batch()`][resilience_kit.arun_batch].
    """
    concurrency, rounds, pause = _check(concurrency, rounds, pause)
    if inspect.iscoroutinefunction(fn):
        raise ConfigurationError("fn", f"{function_name(fn)} is async; use arun_batch")
    run: _Run[T, R] = _Run(list(items), rounds, pause, progress)

    def one(index: int) -> None:
        run.attempts[index] += 1
        try:
            value = fn(run.items[index])
        except Exception as exc:  # every failure is the batch's data, never its crash
            run.failed(index, exc)
        else:
            run.succeeded(index, value)

    pending = list(range(len(run.items)))
    round_no = 0
    while pending:
        workers = max(concurrency >> round_no, 1)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rk-batch") as pool:
            for future in [pool.submit(one, index) for index in pending]:
                future.result()
        pending, wait = run.next_round(round_no)
        round_no += 1
        if pending:
            _clock.sleep(wait)
    return run.finish(round_no)


async def arun_batch(
    fn: Callable[[T], Awaitable[R]],
    items: Iterable[T],
    *,
    concurrency: int = 8,
    rounds: int = 3,
    pause: float = 1.0,
    progress: bool | None = None,
) -> BatchResult[T, R]:
    """Async `run_batch()`: *concurrency* tasks on the running loop await ``fn(item)``.

    Rounds, pauses and the result are as in [`run_batch()`][resilience_kit.run_batch].
    """
    concurrency, rounds, pause = _check(concurrency, rounds, pause)
    run: _Run[T, R] = _Run(list(items), rounds, pause, progress)

    async def worker(queue: list[int]) -> None:
        while queue:
            index = queue.pop()
            run.attempts[index] += 1
            try:
                value = await _awaited(fn, run.items[index])
            except _NotAsyncError:
                raise
            except Exception as exc:  # every failure is the batch's data, never its crash
                run.failed(index, exc)
            else:
                run.succeeded(index, value)

    pending = list(range(len(run.items)))
    round_no = 0
    while pending:
        queue = pending[::-1]
        workers = min(max(concurrency >> round_no, 1), len(queue))
        await asyncio.gather(*(worker(queue) for _ in range(workers)))
        pending, wait = run.next_round(round_no)
        round_no += 1
        if pending:
            await _clock.async_sleep(wait)
    return run.finish(round_no)
