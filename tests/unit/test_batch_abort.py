"""run_batch / arun_batch at the edges: a Ctrl-C, a failing worker, a broken progress line."""

from __future__ import annotations

import _thread
import asyncio
import io
import sys
import threading
import time
from collections.abc import Awaitable

import pytest
from structlog.testing import capture_logs

from resilience_kit import ConfigurationError, arun_batch, run_batch

ITEMS = 300
CONCURRENCY = 4


def _until_main_thread_waits() -> None:
    """Poll until the main thread waits for a future (the batch waiting for its workers)."""
    ident = threading.main_thread().ident
    for _ in range(2000):
        frame = sys._current_frames().get(ident or 0)
        while frame is not None:
            code = frame.f_code
            if code.co_filename.endswith("_base.py") and code.co_name in {"result", "wait"}:
                return
            frame = frame.f_back
        time.sleep(0.001)


@pytest.mark.parametrize("how", ["raised by fn", "ctrl-c in the caller"])
def test_ctrl_c_after_ten_items_starts_at_most_concurrency_more(how: str) -> None:
    """A Ctrl-C after 10 of 300 items raises at once; at most `concurrency` more items started."""
    lock = threading.Lock()
    release = threading.Event()
    started = 0
    running_when_raised: list[bool] = []

    def work(item: int) -> int:
        nonlocal started
        with lock:
            started += 1
            number = started
        if number == 10:
            if how == "raised by fn":
                raise KeyboardInterrupt
            _until_main_thread_waits()
            _thread.interrupt_main()
        elif number > 10:
            release.wait(0.2)  # still running when the batch gives up, unless it waited for us
        return item

    with pytest.raises(KeyboardInterrupt):
        run_batch(work, range(ITEMS), concurrency=CONCURRENCY, progress=False)
    running_when_raised.append(not release.is_set())
    after = started - 10
    release.set()
    assert after <= CONCURRENCY
    assert [True] == running_when_raised


async def test_arun_batch_cancels_the_other_workers_before_raising() -> None:
    """When one worker raises, no further call of fn runs after arun_batch has raised."""
    calls = 0

    async def answer(item: int) -> int:
        await asyncio.sleep(0)
        return item

    def fn(item: int) -> Awaitable[int]:
        nonlocal calls
        calls += 1
        if item == 5:
            return item  # type: ignore[return-value]  # not awaitable: a configuration error
        return answer(item)

    with pytest.raises(ConfigurationError):
        await arun_batch(fn, range(ITEMS), concurrency=8, progress=False)
    seen = calls
    for _ in range(50):
        await asyncio.sleep(0)
    assert seen == calls
    assert calls < ITEMS


class _BrokenPipe(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.writes += 1
        raise BrokenPipeError(32, "Broken pipe")


def test_broken_progress_sink_never_loses_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """A progress line whose write raises is logged once and switched off; every result is kept."""
    sink = _BrokenPipe()
    monkeypatch.setattr("sys.stderr", sink)
    with capture_logs() as logs:
        result = run_batch(lambda item: item * 2, range(50), concurrency=2)
    assert 50 == len(result.results)
    assert 1 == sink.writes
    assert ["batch_progress_failed"] == [e["event"] for e in logs if "progress" in e["event"]]


async def test_async_broken_progress_sink_never_loses_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """arun_batch keeps every result when its progress line cannot be written."""
    monkeypatch.setattr("sys.stderr", _BrokenPipe())

    async def double(item: int) -> int:
        return item * 2

    result = await arun_batch(double, range(50), progress=True)
    assert 50 == len(result.results)


@pytest.mark.parametrize("progress", [print, "yes", 1])
def test_progress_must_be_a_bool_or_none(progress: object) -> None:
    """progress=<callable> (never called before) and other non-bools are rejected at the call."""
    with pytest.raises(ConfigurationError, match="progress"):
        run_batch(lambda item: item, range(3), progress=progress)  # type: ignore[arg-type]
