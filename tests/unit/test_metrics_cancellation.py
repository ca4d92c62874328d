"""attempts == calls + retries holds whatever gets cancelled, and when."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import resilience_kit as rk
from resilience_kit import ErrorCategory, metrics
from tests.unit.retry_support import ScriptedError, classify_scripted


@pytest.fixture(autouse=True)
def _scripted() -> Iterator[None]:
    unregister = rk.register_exception_map(classify_scripted, name="scripted-cancel")
    metrics.reset()
    yield
    unregister()


def _invariant(name: str) -> tuple[int, int, int]:
    found = metrics.snapshot().functions.get(name)
    if found is None:
        return (0, 0, 0)
    return (found.attempts, found.calls, found.retries)


@pytest.mark.parametrize("where", ["in the backoff wait", "in the second attempt", "in attempt 1"])
async def test_cancelled_calls_keep_attempts_equal_calls_plus_retries(where: str) -> None:
    """A call cancelled in its wait or in an attempt leaves attempts == calls + retries."""
    first_failed = asyncio.Event()
    never = asyncio.Event()
    attempts = 0
    wait = 0.0 if where == "in the second attempt" else 3600.0

    @rk.retry(initial_wait=wait, max_wait=wait, jitter=0.0, deadline=None, max_attempts=5)
    async def cancelled_call() -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1 and where != "in attempt 1":
            first_failed.set()
            raise ScriptedError(ErrorCategory.SERVER)
        first_failed.set()
        await never.wait()

    @rk.retry(initial_wait=0.0, max_wait=0.0, jitter=0.0, max_attempts=5)
    async def ok_after_retry() -> str:
        ok_after_retry.tries = getattr(ok_after_retry, "tries", 0) + 1  # type: ignore[attr-defined]
        if ok_after_retry.tries == 1:  # type: ignore[attr-defined]
            raise ScriptedError(ErrorCategory.SERVER)
        return "ok"

    task = asyncio.ensure_future(cancelled_call())
    await first_failed.wait()
    for _ in range(5):  # let the call reach its wait (or its second attempt)
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "ok" == await ok_after_retry()
    for name in ("cancelled_call", "ok_after_retry"):
        done, calls, retries = _invariant(
            f"test_cancelled_calls_keep_attempts_equal_calls_plus_retries.<locals>.{name}"
        )
        assert done == calls + retries
