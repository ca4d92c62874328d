"""``python -m resilience_kit demo``: a live timeline of the kit handling scripted LLM failures.

The timeline is built from the kit's own structlog events (captured by a processor installed
for the demo only), so what it shows is what the kit decided, not a re-enactment.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from resilience_kit import _clock
from resilience_kit._cli._command import Command, UsageError
from resilience_kit._cli._story import run_story
from resilience_kit._clock import SleepOverride
from resilience_kit.metrics import _core as _metrics
from resilience_kit.metrics._model import format_summary
from resilience_kit.testing import FakeLLMServer

__all__ = ["COMMAND", "run_demo"]

_INSTALL_HINT = (
    "the demo drives the real openai and anthropic clients: pip install 'llm-resilience-kit[all]'"
)

# Why the kit decided what it did, by the reason a ``retry_*`` event carries.
_WHY = {
    "server_hint": "retry: the server's retry-after hint is honoured",
    "backoff": "retry: no server hint, exponential backoff with jitter",
    "not_retryable": "no retry: this category does not heal by retrying",
    "max_attempts": "gave up: attempts exhausted",
    "deadline": "gave up: the next wait would pass the deadline",
    "retry_after_too_long": "gave up: the server asked for a longer wait than allowed",
    "after_first_item": "no retry: output was already delivered (a retry would duplicate it)",
    "circuit_open": "gave up: the breaker opened, so a retry would only be rejected",
}


@dataclass
class _ScaledSleep(SleepOverride):
    """Real sleeps scaled by *scale*; story time (``_clock.monotonic``) runs at full length."""

    scale: float = 0.1

    def record(self, seconds: float) -> None:
        real = max(seconds, 0.0) * self.scale
        with self.lock:
            self.sleeps.append(seconds)
            self.offset += max(seconds, 0.0) - real
        if real > 0:
            time.sleep(real)


@dataclass
class _Timeline:
    """Collects narration and kit events; prints each entry as it happens."""

    as_json: bool
    start: float = field(default_factory=_clock.monotonic)
    entries: list[dict[str, Any]] = field(default_factory=list)

    def say(self, kind: str, text: str, **fields: Any) -> None:
        entry = {"t": round(_clock.monotonic() - self.start, 3), "kind": kind, "text": text}
        entry.update(fields)
        self.entries.append(entry)
        if self.as_json:
            print(json.dumps(entry, default=str), flush=True)
        elif kind == "scene":
            print(f"\n== {text}", flush=True)
        else:
            mark = {"event": "  kit ", "result": "  call", "note": "  note"}.get(kind, "      ")
            print(f"{entry['t']:7.2f}s {mark}  {text}", flush=True)

    def capture(self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
        """A structlog processor: turn a kit event into a timeline line, then drop it."""
        name = str(event_dict.pop("event", ""))
        self.say("event", _describe(name, event_dict), event=name, **event_dict)
        raise structlog.DropEvent


def _short(name: object) -> str:
    """A function's name without its enclosing scopes."""
    return str(name or "").rsplit(".", 1)[-1]


def _describe(name: str, f: Mapping[str, Any]) -> str:
    """One readable line for a kit event."""
    status = f.get("status")
    shown = "in-stream" if status == 200 else (status or "")  # an error event inside a 200 stream
    what = f"{f.get('provider') or ''} {shown} {f.get('category')}".replace("  ", " ").strip()
    f = {**f, "function": _short(f.get("function"))}
    if name == "retry_scheduled":
        why = _WHY.get(str(f.get("reason")), str(f.get("reason")))
        return (
            f"{f['function']} attempt {f['attempt']} failed: {what} -> {why}; wait {f['wait']:g}s"
        )
    if name == "retry_gave_up" and f.get("category") == "circuit_open":
        return f"{f['function']} attempt {f['attempt']}: circuit open -> no retry, fail fast"
    if name == "retry_gave_up":
        why = _WHY.get(str(f.get("reason")), str(f.get("reason")))
        return f"{f['function']} attempt {f['attempt']} failed: {what} -> {why}"
    if name == "retry_succeeded":
        return f"{f['function']} succeeded on attempt {f['attempt']} after {f['elapsed']:.2f}s"
    if name == "breaker_state_changed":
        return f"breaker '{f['breaker']}' {f['old_state']} -> {f['new_state']} ({f.get('reason')})"
    if name == "breaker_rejected":
        return (
            f"breaker '{f['breaker']}' is {f['state']}: call rejected without touching the server"
            f" (retry in {f['retry_after']:.1f}s)"
        )
    if name == "fallback_used":
        return (
            f"{f['function']} failed ({f['category']}) -> fallback to {_short(f['fallback'])}"
            f" (alternative #{f['position']})"
        )
    return f"{name} {f}"


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the timeline as JSON lines")
    parser.add_argument(
        "--scale",
        type=float,
        default=0.1,
        help="real seconds slept per story second (default 0.1; 0 = no real waiting)",
    )


def _demo_command(args: argparse.Namespace) -> int:
    if not 0 <= args.scale <= 1:
        raise UsageError(f"--scale must be between 0 and 1, got {args.scale:g}")
    return run_demo(as_json=args.json, scale=args.scale)


COMMAND = Command(
    "demo",
    "watch the kit handle rate limits, overloads, billing stops and an outage",
    "Start a FakeLLMServer on 127.0.0.1 and drive the real openai and anthropic clients through "
    "scripted failures (rate limits, overloads mid-stream, a billing stop, an outage tripping a "
    "breaker, a fallback, recovery), narrated from the kit's own log events. No API keys needed.",
    _configure,
    _demo_command,
)


def run_demo(*, as_json: bool = False, scale: float = 0.1) -> int:
    """Run the story; returns the exit code."""
    try:
        import openai  # noqa: I001 - the cheaper import first: it fails first when missing
        import anthropic
    except ImportError:
        print(_INSTALL_HINT, file=sys.stderr)
        return 1
    timeline = _Timeline(as_json)
    saved = structlog.get_config()
    override = _ScaledSleep(scale=scale)
    structlog.configure(processors=[timeline.capture], cache_logger_on_first_use=False)
    _clock.push_override(override)
    _metrics.reset()
    try:
        with FakeLLMServer(reply="The kit kept this call alive.") as server:
            oa = openai.OpenAI(base_url=server.url + "/v1", max_retries=0, api_key="sk-demo-key")
            an = anthropic.Anthropic(base_url=server.url, max_retries=0, api_key="sk-ant-demo-key")
            timeline.say(
                "note",
                f"FakeLLMServer on {server.url}; real openai {openai.__version__} and anthropic "
                f"{anthropic.__version__} clients (max_retries=0: the kit decides). Waits are "
                f"scaled x{scale:g}: times below are story seconds, real sleeps are shorter.",
                scale=scale,
            )
            try:
                run_story(server, oa, an, timeline.say)
            finally:
                oa.close()
                an.close()
            hits = server.hits()
    finally:
        _clock.pop_override(override)
        structlog.configure(**saved)
    _summary(timeline, hits, override, as_json)
    return 0


def _summary(timeline: _Timeline, hits: int, override: _ScaledSleep, as_json: bool) -> None:
    events = [e.get("event") for e in timeline.entries if e["kind"] == "event"]
    retries = [e for e in timeline.entries if e.get("event") == "retry_scheduled"]
    counts = {
        "retries_honouring_server_hint": sum(e.get("reason") == "server_hint" for e in retries),
        "retries_with_backoff": sum(e.get("reason") == "backoff" for e in retries),
        "not_retried_billing": sum(
            e.get("event") == "retry_gave_up" and e.get("category") == "quota"
            for e in timeline.entries
        ),
        "breaker_trips": sum(
            e.get("event") == "breaker_state_changed" and e.get("new_state") == "open"
            for e in timeline.entries
        ),
        "breaker_rejections": events.count("breaker_rejected"),
        "fallbacks": events.count("fallback_used"),
        "server_requests": hits,
        "story_seconds_waited": round(sum(override.sleeps), 3),
        "real_seconds_waited": round(sum(override.sleeps) * override.scale, 3),
    }
    snap = _metrics.snapshot()
    if as_json:
        print(json.dumps({"kind": "summary", **counts, "metrics": snap.to_dict()}), flush=True)
        return
    table = format_summary(snap)
    print("\n== Summary")
    for key, value in counts.items():
        print(f"  {key.replace('_', ' ')}: {value}")
    print("\n== Metrics (resilience_kit.metrics.snapshot().summary_table())")
    print(table)
