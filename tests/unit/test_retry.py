"""``@retry`` on the four function kinds: what is retried, how long it waits, when it gives up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

import resilience_kit as rk
from resilience_kit import CircuitOpenError, ErrorCategory
from resilience_kit.testing import NoWait
from tests.unit.retry_support import KINDS, Script, ScriptedError, classify_scripted, make, run

RATE = ErrorCategory.RATE_LIMIT
SERVER = ErrorCategory.SERVER


@pytest.fixture(autouse=True)
def scripted_map() -> Iterator[None]:
    """Teach classify() about ScriptedError for each test."""
    unregister = rk.register_exception_map(classify_scripted, name="scripted-test")
    yield
    unregister()


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Each test runs for sync, async, generator and async-generator functions."""
    return str(request.param)


async def test_retries_until_success(kind: str, rk_no_wait: NoWait) -> None:
    """Two retryable failures, then success: three attempts, two sleeps, the result returned."""
    script = Script(ScriptedError(SERVER), ConnectionError("reset"))
    fn = make(kind, script, max_attempts=5, jitter=0, initial_wait=1, max_wait=10)
    assert "ok" == await run(fn)
    assert 3 == script.attempts
    assert [1.0, 2.0] == rk_no_wait.sleeps
    assert 3 == fn.statistics["attempt_number"]


async def test_not_retryable_fails_at_once(kind: str, rk_no_wait: NoWait) -> None:
    """A quota error is raised after one attempt, unchanged except for a note saying why."""
    error = ScriptedError(ErrorCategory.QUOTA, status=429)
    script = Script(error)
    with pytest.raises(ScriptedError) as info:
        await run(make(kind, script))
    assert info.value is error
    assert 1 == script.attempts
    assert [] == rk_no_wait.sleeps
    assert "quota is not retryable" in info.value.__notes__[0]


async def test_gives_up_after_max_attempts(kind: str, rk_no_wait: NoWait) -> None:
    """Always failing: exactly max_attempts attempts, the original error and a note with counts."""
    script = Script(*[ScriptedError(SERVER, status=503) for _ in range(10)])
    with pytest.raises(ScriptedError) as info:
        await run(make(kind, script, max_attempts=3, jitter=0))
    assert 3 == script.attempts
    assert 2 == len(rk_no_wait.sleeps)
    note = info.value.__notes__[-1]
    assert "after 3 attempts" in note
    assert "max_attempts=3 reached" in note


async def test_server_hint_is_waited_exactly(kind: str, rk_no_wait: NoWait) -> None:
    """A 429 with a 2 s hint waits exactly 2 s (no jitter on hints), then succeeds."""
    script = Script(ScriptedError(RATE, retry_after=2.0, status=429))
    assert "ok" == await run(make(kind, script, preset="openai"))
    assert 2 == script.attempts
    assert [2.0] == rk_no_wait.sleeps


async def test_hint_beyond_cap_gives_up_without_sleeping(kind: str, rk_no_wait: NoWait) -> None:
    """A hint longer than max_retry_after: one attempt, no sleep, a note naming the cap."""
    script = Script(ScriptedError(RATE, retry_after=600.0, status=429))
    with pytest.raises(ScriptedError) as info:
        await run(make(kind, script, max_retry_after=60))
    assert 1 == script.attempts
    assert [] == rk_no_wait.sleeps
    assert "asked to wait 600s, more than max_retry_after=60s" in info.value.__notes__[-1]


async def test_hint_ignored_when_not_respected(kind: str, rk_no_wait: NoWait) -> None:
    """With respect_retry_after=False the hint is ignored and backoff is used."""
    script = Script(ScriptedError(RATE, retry_after=600.0))
    fn = make(kind, script, respect_retry_after=False, initial_wait=0.5, jitter=0)
    assert "ok" == await run(fn)
    assert [0.5] == rk_no_wait.sleeps


async def test_deadline_stops_before_a_sleep_past_it(kind: str, rk_no_wait: NoWait) -> None:
    """Waits of 2 s under a 5 s deadline: two sleeps, then it gives up rather than end at 6 s."""
    script = Script(*[ScriptedError(SERVER) for _ in range(10)])
    fn = make(kind, script, deadline=5, initial_wait=2, max_wait=2, jitter=0, max_attempts=10)
    with pytest.raises(ScriptedError) as info:
        await run(fn)
    assert 3 == script.attempts
    assert [2.0, 2.0] == rk_no_wait.sleeps
    assert "past the deadline of 5s" in info.value.__notes__[-1]


async def test_hint_past_deadline_gives_up(kind: str, rk_no_wait: NoWait) -> None:
    """A hint within the cap but ending past the deadline gives up at once."""
    script = Script(ScriptedError(RATE, retry_after=20.0))
    with pytest.raises(ScriptedError):
        await run(make(kind, script, deadline=10, max_retry_after=30))
    assert 1 == script.attempts
    assert [] == rk_no_wait.sleeps


async def test_circuit_open_is_not_retried(kind: str, rk_no_wait: NoWait) -> None:
    """An open circuit fails fast: one attempt."""
    script = Script(CircuitOpenError("llm", 30.0))
    with pytest.raises(CircuitOpenError):
        await run(make(kind, script))
    assert 1 == script.attempts


async def test_retry_on_limits_categories(kind: str, rk_no_wait: NoWait) -> None:
    """A retryable category left out of retry_on is not retried."""
    script = Script(ScriptedError(SERVER))
    with pytest.raises(ScriptedError) as info:
        await run(make(kind, script, retry_on={"rate_limit"}))
    assert 1 == script.attempts
    assert "server is not in retry_on" in info.value.__notes__[-1]


async def test_base_exceptions_are_not_retried_or_noted(kind: str, rk_no_wait: NoWait) -> None:
    """KeyboardInterrupt passes straight through: one attempt, no note."""
    script = Script(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt) as info:
        await run(make(kind, script))
    assert 1 == script.attempts
    assert not hasattr(info.value, "__notes__")


def test_backoff_is_capped_then_jittered(rk_no_wait: NoWait) -> None:
    """Waits double up to max_wait; jitter is added after the cap, so saturated waits spread."""
    script = Script(*[ScriptedError(SERVER) for _ in range(5)])
    fn = make("sync", script, initial_wait=1, max_wait=4, jitter=0.5, max_attempts=6, deadline=None)
    fn()
    bases = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(bases) == len(rk_no_wait.sleeps)
    for base, slept in zip(bases, rk_no_wait.sleeps, strict=True):
        assert base <= slept <= base + 0.5


def test_events_carry_fields_and_never_arguments(rk_no_wait: NoWait) -> None:
    """retry_scheduled and retry_succeeded name the function and failure, never the arguments."""

    @rk.retry(jitter=0, initial_wait=1)
    def ask(prompt: str) -> str:
        if not ask.statistics["attempt_number"] > 1:
            raise ScriptedError(RATE, retry_after=1.5, status=429, request_id="req_1")
        return prompt

    with capture_logs() as logs:
        ask("secret prompt sk-abcdefghijklmnop")
    names = [entry["event"] for entry in logs]
    assert ["retry_scheduled", "retry_succeeded"] == names
    scheduled = logs[0]
    assert "server_hint" == scheduled["reason"]
    assert 1.5 == scheduled["wait"]
    assert "rate_limit" == scheduled["category"]
    assert 429 == scheduled["status"]
    assert "scripted" == scheduled["provider"]
    assert "req_1" == scheduled["request_id"]
    assert scheduled["function"].endswith("ask")
    assert "secret prompt" not in repr(logs)


def test_gave_up_event_has_reason(rk_no_wait: NoWait) -> None:
    """retry_gave_up carries the stop reason code and the detail."""
    script = Script(*[ScriptedError(SERVER) for _ in range(3)])
    with capture_logs() as logs, pytest.raises(ScriptedError):
        make("sync", script, max_attempts=2)()
    gave_up = [entry for entry in logs if entry["event"] == "retry_gave_up"]
    assert 1 == len(gave_up)
    assert "max_attempts" == gave_up[0]["reason"]
    assert 2 == gave_up[0]["attempt"]


def test_first_attempt_success_logs_nothing(rk_no_wait: NoWait) -> None:
    """A call that succeeds at once emits no event (the success path stays quiet)."""
    with capture_logs() as logs:
        assert "ok" == make("sync", Script())()
    assert [] == logs


def test_retry_with_overrides_the_policy(rk_no_wait: NoWait) -> None:
    """retry_with returns a new wrapped function with changed, validated numbers."""
    script = Script(*[ScriptedError(SERVER) for _ in range(10)])
    fn = make("sync", script, max_attempts=5)
    once = fn.retry_with(max_attempts=1)
    with pytest.raises(ScriptedError):
        once()
    assert 1 == script.attempts
    assert 1 == once.policy.max_attempts
    assert 5 == fn.policy.max_attempts
    with pytest.raises(rk.ConfigurationError, match="max_attempts"):
        fn.retry_with(max_attempts=0)


def test_wrapper_exposes_tenacity_controller() -> None:
    """.retry is the tenacity controller template; statistics is empty before any call."""
    fn = make("sync", Script())
    assert fn.retry.reraise
    assert {} == dict(fn.statistics)


def test_methods_keep_binding(rk_no_wait: NoWait) -> None:
    """A decorated method still receives self."""

    class Client:
        def __init__(self) -> None:
            self.calls = 0

        @rk.retry(jitter=0)
        def ask(self, text: str) -> str:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("reset")
            return text.upper()

    client = Client()
    assert "HI" == client.ask("hi")
    assert 2 == client.calls


def test_generator_failure_after_first_item_is_not_retried(rk_no_wait: NoWait) -> None:
    """A stream failing after yielding: no retry, no duplicated items, a note saying why."""
    attempts = 0

    @rk.retry(jitter=0)
    def stream() -> Iterator[int]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ScriptedError(SERVER)
        yield from (1, 2, 3)
        raise ScriptedError(SERVER)

    seen: list[int] = []
    with pytest.raises(ScriptedError) as info:
        seen.extend(stream())
    assert [1, 2, 3] == seen
    assert 2 == attempts
    assert "failed after yielding output" in info.value.__notes__[-1]


def test_generator_return_value_send_and_empty(rk_no_wait: NoWait) -> None:
    """Sends reach the generator, its return value is kept, an empty generator just ends."""

    @rk.retry
    def echo() -> Iterator[int]:
        total = 0
        while total < 10:
            received = yield total
            total += received or 1
        return total

    gen = echo()
    assert 0 == next(gen)
    assert 5 == gen.send(5)
    with pytest.raises(StopIteration) as stop:
        gen.send(5)
    assert 10 == stop.value.value

    @rk.retry
    def empty() -> Iterator[int]:
        return
        yield

    assert [] == list(empty())


async def test_async_generator_asend_and_failure_after_first(rk_no_wait: NoWait) -> None:
    """Async streams: asend is forwarded; a failure after the first item is not retried."""
    attempts = 0

    @rk.retry(jitter=0)
    async def stream() -> object:
        nonlocal attempts
        attempts += 1
        received = yield 1
        yield received
        raise ScriptedError(SERVER)

    agen = stream()
    assert 1 == await agen.__anext__()
    assert "hello" == await agen.asend("hello")
    with pytest.raises(ScriptedError):
        await agen.__anext__()
    assert 1 == attempts


async def test_cancellation_is_not_retried(rk_no_wait: NoWait) -> None:
    """A cancelled call is cancelled, not retried."""
    attempts = 0

    @rk.retry
    async def slow() -> None:
        nonlocal attempts
        attempts += 1
        await asyncio.Event().wait()

    task = asyncio.ensure_future(slow())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 1 == attempts


async def test_callable_object_with_async_call_is_retried(rk_no_wait: NoWait) -> None:
    """An object whose __call__ is async is treated as an async function."""

    class Client:
        def __init__(self) -> None:
            self.attempts = 0

        async def __call__(self) -> str:
            self.attempts += 1
            if self.attempts == 1:
                raise ConnectionError("reset")
            return "ok"

    client = Client()
    assert "ok" == await rk.retry(client)()
    assert 2 == client.attempts


def test_generator_throw_and_close_are_forwarded(rk_no_wait: NoWait) -> None:
    """throw() reaches the decorated generator (which may handle it); close() closes it."""
    closed: list[bool] = []

    @rk.retry
    def stream() -> Iterator[str]:
        try:
            while True:
                try:
                    yield "item"
                except ValueError:  # noqa: PERF203 - the test needs a handler per item
                    yield "handled"
        finally:
            closed.append(True)

    gen = stream()
    assert "item" == next(gen)
    assert "handled" == gen.throw(ValueError("x"))
    assert "item" == next(gen)
    gen.close()
    assert [True] == closed
