"""The demo command: runs to exit 0 and shows the kit's key decisions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _start(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "resilience_kit", "demo", "--scale", "0", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Both demo runs, started together so they overlap."""
    procs = {"text": _start(), "json": _start("--json")}
    yield procs
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_demo_text_shows_hint_billing_trip_and_fallback(
    runs: dict[str, subprocess.Popen[str]],
) -> None:
    """The readable timeline shows a server-hint retry, a billing stop, a trip and a fallback."""
    code, out, err = _finish(runs["text"])
    assert 0 == code, err
    assert (
        "openai 429 rate_limit -> retry: the server's retry-after hint is honoured; wait 2s" in out
    )
    assert "openai 429 quota -> no retry: this category does not heal by retrying" in out
    assert "breaker 'openai' closed -> open (failure_threshold)" in out
    assert "call rejected without touching the server" in out
    assert "circuit open -> no retry, fail fast" in out
    assert "-> fallback to ask_anthropic" in out
    assert "breaker 'openai' half_open -> closed (probe_succeeded)" in out
    assert "Waits are scaled x0" in out
    assert "  not retried billing: 1" in out
    assert "  breaker trips: 1" in out


def test_demo_json_lines_carry_the_same_story(runs: dict[str, subprocess.Popen[str]]) -> None:
    """--json prints one JSON object a line with the kit's events and a closing summary."""
    code, out, err = _finish(runs["json"])
    assert 0 == code, err
    lines = [json.loads(line) for line in out.splitlines()]
    events = [e for e in lines if e["kind"] == "event"]
    hinted = [e for e in events if e["event"] == "retry_scheduled" and e["reason"] == "server_hint"]
    assert 3 == len(hinted)
    assert [2.0, 1.0, 1.0] == [e["wait"] for e in hinted]
    billing = [e for e in events if e["event"] == "retry_gave_up" and e["category"] == "quota"]
    assert ["not_retryable"] == [e["reason"] for e in billing]
    trips = [e for e in events if e["event"] == "breaker_state_changed"]
    assert ["open", "half_open", "closed"] == [e["new_state"] for e in trips]
    assert 3 == sum(e["event"] == "fallback_used" for e in events)
    summary = lines[-1]
    assert "summary" == summary["kind"]
    assert 1 == summary["breaker_rejections"]  # the retry gives up instead of being rejected
    assert 0 == summary["real_seconds_waited"]
    assert 1 == summary["metrics"]["breakers"]["openai"]["rejections"]
