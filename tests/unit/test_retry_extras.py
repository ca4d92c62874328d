"""Retry observers, tenacity building blocks, no_wait with freezegun, concurrency and the CLI."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import tenacity
from freezegun import freeze_time

import resilience_kit as rk
from resilience_kit import ErrorCategory
from resilience_kit._cli._main import main
from resilience_kit._retry._decorator import _decorate
from resilience_kit._retry._observers import RetryEvent, RetryObserver, add_observer
from resilience_kit.testing import NoWait, no_wait
from tests.unit.retry_support import Script, ScriptedError, classify_scripted

SERVER = ErrorCategory.SERVER
RATE = ErrorCategory.RATE_LIMIT


@pytest.fixture(autouse=True)
def scripted_map() -> Iterator[None]:
    """Teach classify() about ScriptedError for each test."""
    unregister = rk.register_exception_map(classify_scripted, name="scripted-test")
    yield
    unregister()


class Recorder(RetryObserver):
    """Records every notification; vetoes retries after *allow* of them."""

    wants_before_attempt = True

    def __init__(self, allow: int = 100) -> None:
        self.allow = allow
        self.seen: list[tuple[str, int, str]] = []

    def before_attempt(self, function: str, attempt: int) -> None:
        self.seen.append(("before", attempt, ""))

    def veto_retry(self, event: RetryEvent) -> str | None:
        self.allow -= 1
        return "budget_exhausted" if self.allow < 0 else None

    def on_retry_scheduled(self, event: RetryEvent) -> None:
        self.seen.append(("scheduled", event.attempt, event.reason))

    def on_give_up(self, event: RetryEvent) -> None:
        self.seen.append(("give_up", event.attempt, event.reason))

    def on_success(self, event: RetryEvent) -> None:
        self.seen.append(("success", event.attempt, event.reason))


def test_observers_see_each_step(rk_no_wait: NoWait) -> None:
    """An observer is told about attempts, scheduled retries and the success, in order."""
    script = Script(ScriptedError(RATE, retry_after=1.0))
    recorder = Recorder()
    fn = _decorate(script.step, rk.RetryPolicy(), (recorder,))
    assert "ok" == fn()
    expected = [
        ("before", 1, ""),
        ("scheduled", 1, "server_hint"),
        ("before", 2, ""),
        ("success", 2, ""),
    ]
    assert expected == recorder.seen


def test_observer_veto_gives_up_with_its_reason(rk_no_wait: NoWait) -> None:
    """A veto (as a retry budget would) stops at once with the veto's reason in the note."""
    script = Script(*[ScriptedError(SERVER) for _ in range(5)])
    recorder = Recorder(allow=1)
    fn = _decorate(script.step, rk.RetryPolicy(), (recorder,))
    with pytest.raises(ScriptedError) as info:
        fn()
    assert 2 == script.attempts
    assert ("give_up", 2, "budget_exhausted") == recorder.seen[-1]
    assert "retry refused: budget_exhausted" in info.value.__notes__[-1]
    assert "budget_exhausted" == fn.statistics["give_up_reason"]


def test_broken_observer_never_breaks_the_call(rk_no_wait: NoWait) -> None:
    """An observer that raises is logged and ignored."""

    class Broken(RetryObserver):
        wants_before_attempt = True

        def before_attempt(self, function: str, attempt: int) -> None:
            raise RuntimeError("observer bug")

        def veto_retry(self, event: RetryEvent) -> str | None:
            raise RuntimeError("observer bug")

        def on_success(self, event: RetryEvent) -> None:
            raise RuntimeError("observer bug")

    script = Script(ScriptedError(SERVER))
    assert "ok" == _decorate(script.step, rk.RetryPolicy(), (Broken(),))()
    assert 2 == script.attempts


def test_global_observer_applies_to_new_decorators(rk_no_wait: NoWait) -> None:
    """add_observer reaches decorators built afterwards; the returned function removes it."""
    recorder = Recorder()
    remove = add_observer(recorder)
    try:
        fn = rk.retry()(Script().step)
    finally:
        remove()
    fn()
    assert ("success", 1, "") == recorder.seen[-1]


def test_plain_tenacity_with_kit_kwargs(rk_no_wait: NoWait) -> None:
    """@tenacity.retry(**tenacity_kwargs(...)) honours hints, skips non-retryable, re-raises."""
    script = Script(ScriptedError(RATE, retry_after=3.0), ScriptedError(SERVER))
    fn = tenacity.retry(**rk.tenacity_kwargs(rk.RetryPolicy(jitter=0, initial_wait=1)))(script.step)
    assert "ok" == fn()
    assert [3.0, 2.0] == rk_no_wait.sleeps

    quota = Script(ScriptedError(ErrorCategory.QUOTA))
    with pytest.raises(ScriptedError):
        tenacity.retry(**rk.tenacity_kwargs("openai"))(quota.step)()
    assert 1 == quota.attempts

    too_long = Script(ScriptedError(RATE, retry_after=500.0))
    with pytest.raises(ScriptedError):
        tenacity.retry(**rk.tenacity_kwargs("openai"))(too_long.step)()
    assert 1 == too_long.attempts


async def test_plain_tenacity_async(rk_no_wait: NoWait) -> None:
    """tenacity_kwargs(..., asynchronous=True) works with AsyncRetrying."""
    script = Script(ScriptedError(RATE, retry_after=1.0))

    async def step() -> str:
        return script.step()

    fn = tenacity.retry(**rk.tenacity_kwargs("default", asynchronous=True))(step)
    assert "ok" == await fn()
    assert [1.0] == rk_no_wait.sleeps


def test_wait_retry_after_falls_back_and_caps() -> None:
    """wait_retry_after uses the hint (capped) and otherwise the fallback wait."""
    wait = rk.wait_retry_after(tenacity.wait_fixed(7), max_retry_after=10)
    retrying = tenacity.Retrying()
    state = tenacity.RetryCallState(retrying, None, (), {})
    state.set_exception((ScriptedError, ScriptedError(RATE, retry_after=30.0), None))
    assert 10.0 == wait(state)
    state.set_exception((ScriptedError, ScriptedError(SERVER), None))
    assert 7.0 == wait(state)
    assert rk.retry_if_retryable()(state)
    assert not rk.retry_if_retryable(retry_on=[RATE])(state)


def test_no_wait_inside_ticking_freezegun() -> None:
    """no_wait works inside freeze_time(tick=True): instant, recorded, deadline in virtual time."""
    script = Script(*[ScriptedError(SERVER) for _ in range(10)])
    fn = rk.retry(initial_wait=3, max_wait=3, jitter=0, deadline=10, max_attempts=10)(script.step)
    with freeze_time("2026-01-01", tick=True), no_wait() as waits, pytest.raises(ScriptedError):
        fn()
    assert [3.0, 3.0, 3.0] == waits.sleeps
    assert 9.0 == waits.total
    assert 4 == script.attempts


async def test_no_wait_with_freezegun_real_asyncio() -> None:
    """Async retries under freeze_time(real_asyncio=True) and no_wait: no real sleeping."""
    script = Script(ScriptedError(RATE, retry_after=30.0))

    @rk.retry(max_retry_after=60)
    async def call() -> str:
        return script.step()

    with freeze_time("2026-01-01", real_asyncio=True), no_wait() as waits:
        assert "ok" == await call()
    assert [30.0] == waits.sleeps


def test_deadline_with_frozen_clock_moved_by_test() -> None:
    """Without no_wait, a frozen clock the test moves decides the deadline (real sleep is 0)."""
    with freeze_time("2026-01-01") as frozen:
        attempts = 0

        @rk.retry(initial_wait=0, max_wait=0, jitter=0, deadline=5, max_attempts=100)
        def step() -> None:
            nonlocal attempts
            attempts += 1
            frozen.tick(2)
            raise ScriptedError(SERVER)

        with pytest.raises(ScriptedError):
            step()
    assert 3 == attempts


def test_statistics_per_call_under_threads_and_tasks(rk_no_wait: NoWait) -> None:
    """32 threads and 200 tasks share one function; each call's statistics are its own."""
    per_key: dict[str, int] = {}
    lock = threading.Lock()

    @rk.retry(max_attempts=10, initial_wait=0, max_wait=0, jitter=0)
    async def flaky_async(key: str, failures: int) -> int:
        with lock:
            per_key[key] = per_key.get(key, 0) + 1
            count = per_key[key]
        await asyncio.sleep(0)
        if count <= failures:
            raise ScriptedError(SERVER)
        return count

    @rk.retry(max_attempts=10, initial_wait=0, max_wait=0, jitter=0)
    def flaky(key: str, failures: int) -> int:
        with lock:
            per_key[key] = per_key.get(key, 0) + 1
            count = per_key[key]
        if count <= failures:
            raise ScriptedError(SERVER)
        return count

    mismatches: list[str] = []
    start = threading.Barrier(32)

    def worker(index: int) -> None:
        start.wait()
        for round_ in range(5):
            failures = (index + round_) % 4
            attempts = flaky(f"t{index}-{round_}", failures)
            if attempts != flaky.statistics["attempt_number"] or attempts != failures + 1:
                mismatches.append(f"t{index}-{round_}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    async def task(index: int) -> None:
        failures = index % 5
        attempts = await flaky_async(f"a{index}", failures)
        if attempts != flaky_async.statistics["attempt_number"] or attempts != failures + 1:
            mismatches.append(f"a{index}")

    async def all_tasks() -> None:
        await asyncio.gather(*(task(i) for i in range(200)))

    asyncio.run(all_tasks())
    assert [] == mismatches
    assert 32 * 5 + 200 == sum(1 for key in per_key)


def test_presets_cli_prints_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m resilience_kit presets` lists each preset with waits and worst-case totals."""
    assert 0 == main(["presets"])
    out = capsys.readouterr().out
    for name in ("default", "openai", "anthropic", "interactive", "batch"):
        assert f"\n{name} " in out
    assert "openai: 0.5-1.5, 1-2, 2-3, 4-5, 8-9" in out
    assert "worst backoff" in out
