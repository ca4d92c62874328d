"""Header values ``explain`` is given that the kit (like the SDKs) cannot use as a wait hint.

A ``retry-after: soon`` is ignored by every client, so the answer is "back off" either way; but
saying only "server hint: none" hides that the header was there and unusable. Each note names
the header, its value and what the kit does instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from resilience_kit._classify import parse_http_date, parse_seconds

__all__ = ["header_notes"]


def _number(value: str) -> float | None:
    try:
        return float(value.strip())
    except ValueError:
        return None


def _retry_after(value: str) -> str | None:
    number = _number(value)
    if number is None:
        delay = parse_http_date(value)
        if delay is None:
            return "is neither seconds nor an HTTP date: ignored, backoff instead"
        return "is a date in the past: no wait asked, backoff instead" if delay == 0 else None
    if parse_seconds(value) is None:
        if number < 0:
            return "is negative: ignored, backoff instead"
        return "is not a number of seconds: ignored, backoff instead"
    if number == 0:
        return "asks for no wait: not a hint, backoff instead"
    return None


def _milliseconds(value: str, name: str) -> str | None:
    number = _number(value)
    if number is None:
        return "is not a number of milliseconds: ignored"
    if name == "retry-after-ms" and not number > 0:
        return "is a number but no wait: no hint, and retry-after is not read (as in the SDKs)"
    if not number > 0 or parse_seconds(value, divisor=1000.0) is None:
        return "is not a positive number of milliseconds: ignored"
    return None


def header_notes(headers: Mapping[str, str]) -> list[str]:
    """One line per wait or retry header whose value the kit cannot use (names lower-case)."""
    notes: list[str] = []
    for name, value in headers.items():
        if name == "retry-after":
            note = _retry_after(value)
        elif name in {"retry-after-ms", "x-amz-retry-after"}:
            note = _milliseconds(value, name)
        elif name == "x-should-retry" and value not in {"true", "false"}:
            note = "is no instruction: only the exact lower-case words true and false count"
        else:
            note = None
        if note is not None:
            notes.append(f"{name} {value!r} {note}")
    return notes
