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
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from resilience_kit import _clock, _events
from resilience_kit._callables import callable_kind, function_name
from resilience_kit._categories import ErrorCategory
from resilience_kit._checks import check_int, check_number
from resilience_kit._classify import Classification, classify_once
from resilience_kit._redact import redact
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

    def __repr__(self) -> str:
        # Never the item (prompts live there) nor the raw exception text (keys live there).
        return (
            f"BatchFailure(index={self.index}, category={self.classification.category.value!r}, "
            f"attempts={self.attempts}, exception={redact(repr(self.exception))})"
        )


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
        self.show = _stderr_is_terminal() if progress is None else progress
        self.done = 0
        self.last_draw = -1.0

    def succeeded(self, index: int, value: R) -> None:
        self.failures.pop(index, None)
        self.results[index] = value
        self._tick()

    def failed(self, index: int, exc: Exception) -> None:
        self.failures[index] = BatchFailure(
            index, self.items[index], exc, classify_once(exc), self.attempts[index]
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
            self._draw(f"\rbatch: {self.done}/{len(self.items)} done, {len(self.failures)} failed ")

    def _draw(self, text: str) -> None:
        """Write *text* to stderr; a sink that fails is logged once and switched off."""
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except Exception as exc:  # cosmetics never lose results (BrokenPipeError, closed stream)
            self.show = False
            _events.emit("batch_progress_failed", level="warning", error=type(exc).__name__)

    def finish(self, rounds: int) -> BatchResult[T, R]:
        if self.show:
            self._draw("\n")
        return BatchResult(dict(sorted(self.results.items())), self.failures, rounds)


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except Exception:  # a replaced or closed stderr is not a terminal
        return False


class _NotAsyncError(ConfigurationError):
    def __init__(self, name: str) -> None:
        super().__init__("fn", f"{name} did not return an awaitable; use run_batch")


async def _awaited(fn: Callable[[T], Awaitable[R]], item: T) -> R:
    pending = fn(item)
    if not inspect.isawaitable(pending):
        raise _NotAsyncError(function_name(fn))
    return await pending


def _check(
    concurrency: int, rounds: int, pause: float, progress: bool | None
) -> tuple[int, int, float]:
    if progress is not None and not isinstance(progress, bool):
        raise ConfigurationError(
            "progress", f"must be True, False or None (auto), got {type(progress).__name__}"
        )
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
    """Call *fn* on every item from *concurrency* threads; see
    [`BatchResult`][resilience_kit.BatchResult].

    Up to *rounds* rounds: after each, inputs that failed with a retryable category (or an open
    circuit) run again at half the concurrency, after at least *pause* seconds (longer when a
    server hint asks, up to 60 s). *progress* draws a line on stderr (default: when stderr is a
    terminal; a stream that fails to write is logged once and the line switched off).
    ``KeyboardInterrupt`` (from *fn* or a Ctrl-C) and other non-``Exception`` errors abort the
    batch at once: no further item starts, the at most *concurrency* calls already running are
    abandoned (they finish in their threads; their results are dropped) and the error is
    re-raised. For async functions use [`arun_batch()`][resilience_kit.arun_batch].
    """
    concurrency, rounds, pause = _check(concurrency, rounds, pause, progress)
    if callable_kind(fn) == "async":
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
        _run_round(one, pending, max(concurrency >> round_no, 1))
        pending, pause_for = run.next_round(round_no)
        round_no += 1
        if pending:
            _clock.sleep(pause_for)
    return run.finish(round_no)


def _run_round(one: Callable[[int], None], indexes: list[int], workers: int) -> None:
    """Run ``one(index)`` for *indexes* on *workers* threads, never more than *workers* queued.

    Submitting only as slots free up means an abort (an error from a worker, or a Ctrl-C while
    waiting here) leaves nothing queued: the pool is shut down without waiting for the calls
    still running, and the error propagates.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rk-batch")
    queue = iter(indexes)
    running: set[Future[None]] = set()
    try:
        for index in queue:
            running.add(pool.submit(one, index))
            if len(running) < workers:
                continue
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()  # a non-Exception error from fn (one() keeps the others)
        for future in running:
            future.result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


async def arun_batch(
    fn: Callable[[T], Awaitable[R]],
    items: Iterable[T],
    *,
    concurrency: int = 8,
    rounds: int = 3,
    pause: float = 1.0,
    progress: bool | None = None,
) -> BatchResult[T, R]:
    """Async [`run_batch()`][resilience_kit.run_batch]: *concurrency* tasks on the running loop
    await ``fn(item)``."""
    concurrency, rounds, pause = _check(concurrency, rounds, pause, progress)
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
        tasks = [asyncio.ensure_future(worker(queue)) for _ in range(workers)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            # One worker failed (or the batch was cancelled): stop the others before raising,
            # so no call of fn runs after arun_batch has returned control.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        pending, pause_for = run.next_round(round_no)
        round_no += 1
        if pending:
            await _clock.async_sleep(pause_for)
    return run.finish(round_no)
