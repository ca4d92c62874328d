"""Lifecycle hooks on ``@retry``: records, sync and async hooks, and failing hooks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

import resilience_kit as rk
from resilience_kit import AttemptRecord, ConfigurationError, ErrorCategory
from resilience_kit.testing import no_wait
from tests.unit.retry_support import KINDS, Script, ScriptedError, classify_scripted, make, run


@pytest.fixture(autouse=True)
def scripted_map() -> Iterator[None]:
    """Teach classify() about ScriptedError for each test."""
    unregister = rk.register_exception_map(classify_scripted, name="scripted-hooks")
    yield
    unregister()


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Each test runs for sync, async, generator and async-generator functions."""
    return str(request.param)


def _collect() -> tuple[list[AttemptRecord], dict[str, Any]]:
    seen: list[AttemptRecord] = []
    hooks = {"on_retry": seen.append, "on_give_up": seen.append, "on_success": seen.append}
    return seen, hooks


async def test_sync_hooks_see_every_retry_and_the_success(kind: str) -> None:
    """on_retry fires per retry with wait and classification, then on_success once."""
    seen, hooks = _collect()
    script = Script(
        ScriptedError(ErrorCategory.RATE_LIMIT, retry_after=2.0),
        ScriptedError(ErrorCategory.SERVER),
    )
    fn = make(kind, script, max_attempts=5, **hooks)
    with no_wait():
        assert "ok" == await run(fn)
    assert ["retry", "retry", "success"] == [r.outcome for r in seen]
    assert [1, 2, 3] == [r.attempt for r in seen]
    assert 2.0 == seen[0].wait
    assert "server_hint" == seen[0].reason
    assert seen[0].classification is not None
    assert ErrorCategory.RATE_LIMIT == seen[0].classification.category
    assert seen[2].classification is None
    assert seen[2].elapsed >= 2.0


async def test_give_up_hook_gets_the_reason_and_category(kind: str) -> None:
    """on_give_up receives the final classification and the give-up reason code."""
    seen, hooks = _collect()
    fn = make(kind, Script(ScriptedError(ErrorCategory.QUOTA)), **hooks)
    with no_wait(), pytest.raises(ScriptedError):
        await run(fn)
    assert 1 == len(seen)
    record = seen[0]
    assert ("give_up", "not_retryable", 1) == (record.outcome, record.reason, record.attempt)
    assert record.classification is not None
    assert ErrorCategory.QUOTA == record.classification.category


async def test_raising_hooks_change_neither_result_nor_exception(kind: str) -> None:
    """A hook that raises is logged as hook_failed; the call's value and error are unchanged."""

    def boom(_record: AttemptRecord) -> None:
        raise RuntimeError("hook broke")

    hooks = {"on_retry": boom, "on_give_up": boom, "on_success": boom}
    ok = make(kind, Script(ScriptedError(ErrorCategory.SERVER)), **hooks)
    failing = make(kind, Script(ScriptedError(ErrorCategory.AUTH)), **hooks)
    with no_wait(), capture_logs() as logs:
        assert "ok" == await run(ok)
        with pytest.raises(ScriptedError) as caught:
            await run(failing)
    assert ErrorCategory.AUTH == caught.value.category
    failed = [e for e in logs if e["event"] == "hook_failed"]
    assert ["on_retry", "on_success", "on_give_up"] == [e["hook"] for e in failed]
    assert all(e["error"] == "RuntimeError" for e in failed)


async def test_async_hooks_are_awaited_in_order() -> None:
    """Async hooks on a coroutine function are awaited: on_retry before the wait, then success."""
    order: list[str] = []
    sleeps_seen: list[int] = []

    async def on_retry(record: AttemptRecord) -> None:
        order.append(f"retry{record.attempt}")
        sleeps_seen.append(wait.count)

    async def on_success(record: AttemptRecord) -> None:
        order.append("success")

    script = Script(ScriptedError(ErrorCategory.SERVER), ScriptedError(ErrorCategory.SERVER))

    @rk.retry(on_retry=on_retry, on_success=on_success, max_attempts=3)
    async def call() -> str:
        order.append("attempt")
        return script.step()

    with no_wait() as wait:
        assert "ok" == await call()
    assert ["attempt", "retry1", "attempt", "retry2", "attempt", "success"] == order
    assert [0, 1] == sleeps_seen


async def test_async_hook_failures_are_contained() -> None:
    """An async hook that raises does not change the coroutine's exception."""

    async def boom(_record: AttemptRecord) -> None:
        raise RuntimeError("async hook broke")

    @rk.retry(on_give_up=boom, on_retry=boom, max_attempts=2)
    async def call() -> str:
        raise ScriptedError(ErrorCategory.TIMEOUT)

    with no_wait(), capture_logs() as logs, pytest.raises(ScriptedError):
        await call()
    assert ["on_retry", "on_give_up"] == [e["hook"] for e in logs if e["event"] == "hook_failed"]


def test_async_hook_on_sync_function_is_rejected_at_decoration() -> None:
    """A sync function cannot await an async hook: ConfigurationError names the hook."""

    async def hook(_record: AttemptRecord) -> None:
        return None

    def sync_fn() -> str:
        return "x"

    async def agen_fn() -> AsyncIterator[str]:
        yield "x"

    with pytest.raises(ConfigurationError, match="on_success: an async hook needs"):
        rk.retry(on_success=hook)(sync_fn)
    with pytest.raises(ConfigurationError, match="async generator"):
        rk.retry(on_give_up=hook)(agen_fn)


def test_non_callable_hook_is_rejected() -> None:
    """A hook must be callable."""
    with pytest.raises(ConfigurationError, match="on_retry: must be a callable"):
        rk.retry(on_retry="print")  # type: ignore[arg-type]


def test_sync_hook_returning_an_awaitable_in_sync_function_is_logged() -> None:
    """A sync function's hook that returns a coroutine is closed and logged, not awaited."""

    async def later() -> None:
        return None

    @rk.retry(on_success=lambda _record: later())
    def call() -> str:
        return "ok"

    with capture_logs() as logs:
        assert "ok" == call()
    assert ["hook_failed"] == [e["event"] for e in logs]


def test_retry_with_keeps_hooks() -> None:
    """retry_with() builds a copy that still calls the hooks."""
    seen, hooks = _collect()
    fn = make("sync", Script(ScriptedError(ErrorCategory.SERVER)), max_attempts=1, **hooks)
    again = fn.retry_with(max_attempts=2)
    with no_wait():
        assert "ok" == again()
    assert ["retry", "success"] == [r.outcome for r in seen]


async def test_resilient_passes_hooks_to_its_retry_layer() -> None:
    """resilient(on_retry=..., on_success=...) calls the hooks around breaker-guarded attempts."""
    seen, hooks = _collect()
    breaker = rk.CircuitBreaker("hooks-resilient", failure_threshold=5)
    script = Script(ScriptedError(ErrorCategory.OVERLOADED))

    @rk.resilient("default", breaker=breaker, max_attempts=3, **hooks)
    async def call() -> str:
        return script.step()

    with no_wait():
        assert "ok" == await call()
    assert ["retry", "success"] == [r.outcome for r in seen]
    assert call.__qualname__ == seen[0].function
