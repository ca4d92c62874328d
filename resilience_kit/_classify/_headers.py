"""Server hints in response headers: how long to wait, and whether the server says "retry".

Every parser here takes untrusted text and never raises: garbage, negative, NaN or infinite
values give ``None`` (no hint). A parsed wait is always finite and ``>= 0`` (``server_wait`` also
treats zero and past dates as no hint, as the SDKs do); absurdly large numbers are clamped to
``MAX_HINT`` so a policy's ``max_retry_after`` refuses them instead of backing off.

Precedence follows the openai and anthropic SDKs: ``retry-after-ms``, then ``retry-after``
(seconds, fractional seconds, or an HTTP-date); a numeric ``retry-after-ms`` that is no usable wait
(zero, negative, NaN, inf) means "back off", never "read ``retry-after``". OpenAI's 429 body says
"Please try again in 500ms" while its ``retry-after`` is rounded up to whole seconds: the message's
wait is used when it agrees with the header (within its rounding) or no header came. Only for a 429
without any of these, the rate-limit reset headers are read: OpenAI's
``x-ratelimit-reset-{requests,tokens}`` (Go durations: ``"6m0s"``) and Anthropic's
``anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-reset`` (RFC 3339). Both
providers document a reset as the time until the limit is *fully* replenished, not until the next
request fits: with the ``-limit`` header the wait is the time one request (or, for a token limit,
an average request: the token limit over the request limit) takes to refill,
``reset * needed / (limit - remaining)``. Of the limits, those whose ``-remaining`` reads ``0``
count (the limit that was hit); when none reads ``0`` the largest wait counts.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "MAX_HINT",
    "Headers",
    "get_header",
    "limit_hit",
    "parse_try_again",
    "parse_go_duration",
    "parse_retry_after",
    "parse_rfc3339_delay",
    "parse_seconds",
    "parse_should_retry",
    "server_wait",
    "snapshot",
]

MAX_HINT = 366 * 86400.0
"""The largest wait a header can produce (one year); bigger values are clamped to it."""

_MAX_HEADER_LEN = 256  # hints are short; never run regexes or float() over megabytes

# (header prefix, header suffix, kind, RFC 3339 resets) per provider and limit:
# f"{prefix}{field}{suffix}" with field "reset"/"remaining"/"limit" names a header.
_LIMITS: tuple[tuple[str, str, str, bool], ...] = (
    ("x-ratelimit-", "-requests", "requests", False),
    ("x-ratelimit-", "-tokens", "tokens", False),
    ("anthropic-ratelimit-requests-", "", "requests", True),
    *(
        (f"anthropic-ratelimit-{kind}-", "", "tokens", True)
        for kind in ("tokens", "input-tokens", "output-tokens")
    ),
)


class Headers(dict[str, str]):
    """A lower-cased snapshot of response headers, read once per classification."""


def snapshot(headers: object) -> Headers:
    """Lower-case *headers* once into a plain dict; ``{}`` for anything unreadable.

    Accepts ``httpx.Headers``, ``httpx2.Headers``, ``requests``' ``CaseInsensitiveDict``, a plain
    ``dict`` or a list of ``(name, value)`` pairs (str or bytes). Never raises.
    """
    if isinstance(headers, Headers):
        return headers
    out = Headers()
    if headers is None or isinstance(headers, (str, bytes)):
        return out
    try:
        items: Iterable[Any] = headers.items() if isinstance(headers, Mapping) else headers  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
        if not isinstance(items, Iterable):
            return out
        for item in items:
            if isinstance(item, tuple) and len(item) == 2:  # (name, value) pairs
                key, value = (_text(part) for part in item)
                if key is not None and value is not None:
                    out.setdefault(key.lower(), value)
    except Exception:  # a broken headers object is "no hints", never a crash
        return Headers()
    return out


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else None


def get_header(headers: object, name: str) -> str | None:
    """Read header *name* case-insensitively from any headers object; ``None`` if absent."""
    return snapshot(headers).get(name.lower())


def _finite_wait(value: float) -> float | None:
    if math.isnan(value) or value < 0:
        return None
    return min(value, MAX_HINT)


_MAX_DIGITS = 20  # any whole number with more digits is far beyond MAX_HINT


def parse_seconds(value: str | None, *, divisor: float = 1.0) -> float | None:
    """A number of seconds (``"3"``, ``"1.5"``); ``divisor=1000`` for milliseconds.

    A long run of digits (``"9" * 400``) is an overflow (``MAX_HINT``), as ``float()`` makes it.
    """
    if value is None:
        return None
    text = value.strip()
    if len(text) > _MAX_HEADER_LEN:
        digits = text.removeprefix("+").lstrip("0")
        if not (digits.isascii() and digits.isdigit()):
            return None
        return MAX_HINT if len(digits) > _MAX_DIGITS else _finite_wait(float(digits) / divisor)
    try:
        number = float(text)
    except ValueError:
        return None
    if math.isinf(number):
        # A literal "inf" is garbage; a numeric overflow ("1e999") is a server asking for forever.
        if number < 0 or text.lstrip("+").lower() in {"inf", "infinity"}:
            return None
        return MAX_HINT
    return _finite_wait(number / divisor)


def parse_http_date(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from *now* (default ``time.time()``) until an HTTP-date; ``0.0`` when it is past."""
    if value is None or len(value) > _MAX_HEADER_LEN:
        return None
    import email.utils  # only for a hint given as a date (rare): not on every import

    try:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        target = float(email.utils.mktime_tz(parsed))
    except (TypeError, ValueError, OverflowError, OSError, IndexError):
        return None
    current = time.time() if now is None else now
    return _finite_wait(max(target - current, 0.0))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After``: seconds (float allowed, as the SDKs do) or an HTTP-date."""
    seconds = parse_seconds(value)
    if seconds is not None:
        return seconds
    return parse_http_date(value, now=now)


_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6, "ns": 1e-9}
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h)")
_GO_DURATION = re.compile(r"(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|ms|s|m|h))+")


def parse_go_duration(value: str | None) -> float | None:
    """A Go ``time.Duration`` string as OpenAI sends it: ``"6m0s"``, ``"1.5s"``, ``"20ms"``.

    A bare ``"0"`` is zero (as in Go); signs, bare numbers and unknown units are garbage.
    """
    if value is None or len(value) > _MAX_HEADER_LEN:
        return None
    text = value.strip()
    if text == "0":
        return 0.0
    if not _GO_DURATION.fullmatch(text):
        return None
    total = sum(float(number) * _GO_UNITS[unit] for number, unit in _GO_PART.findall(text))
    return _finite_wait(total)


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}:\d{2})"
)


def parse_rfc3339_delay(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from *now* until an RFC 3339 timestamp (Anthropic's resets); ``0.0`` when past."""
    if value is None or len(value) > _MAX_HEADER_LEN:
        return None
    match = _RFC3339.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        if zone in {"Z", "z"}:
            tz = _dt.timezone.utc
        else:
            sign = -1 if zone[0] == "-" else 1
            tz = _dt.timezone(sign * _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        moment = _dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            min(int(second), 59),  # a leap second is the end of that minute
            tzinfo=tz,
        )
        target = moment.timestamp() + (float(fraction) if fraction else 0.0)
    except (ValueError, OverflowError, OSError):
        return None
    current = time.time() if now is None else now
    return _finite_wait(max(target - current, 0.0))


def parse_should_retry(headers: object) -> bool | None:
    """``x-should-retry``: ``True`` for exactly "true", ``False`` for "false", else ``None``.

    Compared as both SDKs compare it (``== "true"``): "True", "TRUE" or " true" are no instruction.
    """
    value = snapshot(headers).get("x-should-retry")
    if value == "true":
        return True
    if value == "false":
        return False
    return None


def server_wait(
    headers: object,
    *,
    status_code: int | None = None,
    now: float | None = None,
    message: str | None = None,
) -> float | None:
    """How long the server asked us to wait, in seconds, or ``None`` when it gave no usable hint.

    *now* is a ``time.time()`` value for date headers (read at call time when omitted); *message*
    is the error body's text (OpenAI's "try again in 500ms"). A hint
    must be positive: like the SDKs, zero, a past date or garbage means "no hint" (back off
    instead), and the next header in precedence order is tried; but, as in both SDKs, a
    ``retry-after-ms`` that is a number at all (``0``, negative, NaN, inf) ends the search.
    """
    lowered = snapshot(headers)
    raw_ms = lowered.get("retry-after-ms")
    if _is_number(raw_ms):
        return _positive(parse_seconds(raw_ms, divisor=1000.0))
    wait = _positive(parse_retry_after(lowered.get("retry-after"), now=now))
    stated = _positive(parse_try_again(message)) if status_code == 429 else None
    if stated is not None and (wait is None or stated <= wait < stated + 1.0 + 1e-6):
        return stated  # the body's exact wait; the header only rounded it up
    if wait is not None or status_code != 429:  # resets only explain a 429
        return wait
    exhausted: list[float] = []
    others: list[float] = []
    requests_limit = _limit_of(lowered, "requests")
    for prefix, suffix, kind, rfc3339 in _LIMITS:
        raw = lowered.get(f"{prefix}reset{suffix}")
        reset = _positive(parse_rfc3339_delay(raw, now=now) if rfc3339 else parse_go_duration(raw))
        if reset is None:
            continue
        remaining = parse_seconds(lowered.get(f"{prefix}remaining{suffix}"))
        limit = parse_seconds(lowered.get(f"{prefix}limit{suffix}"))
        if limit is not None and remaining is not None and limit > remaining:
            needed = 1.0
            if kind == "tokens":
                needed = limit / requests_limit if requests_limit else limit - remaining
            reset = min(reset, reset * needed / (limit - remaining))
        (exhausted if remaining == 0 else others).append(reset)
    if exhausted:
        return max(exhausted)
    return max(others, default=None)


def _is_number(value: str | None) -> bool:
    """Whether ``float(value)`` succeeds, as the SDKs test it (long digit runs included)."""
    if value is None:
        return False
    text = value.strip()
    if len(text) > _MAX_HEADER_LEN:
        digits = text.removeprefix("+")
        return digits.isascii() and digits.isdigit()
    try:
        float(text)
    except ValueError:
        return False
    return True


def _limit_of(lowered: Headers, kind: str) -> float | None:
    for prefix, suffix, found, _ in _LIMITS:
        if found == kind:
            limit = parse_seconds(lowered.get(f"{prefix}limit{suffix}"))
            if limit:
                return limit
    return None


_TRY_AGAIN = re.compile(r"try again in ((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|ms|s|m|h)\S*)")


def parse_try_again(message: str | None) -> float | None:
    """The wait in an OpenAI 429 message ("... Please try again in 1.706s."), or ``None``."""
    if not message:
        return None
    match = _TRY_AGAIN.search(message[:2000])
    if match is None:
        return None
    return parse_go_duration(match.group(1).rstrip(".,;"))


def limit_hit(
    headers: object, *, error_type: str | None = None, message: str | None = None
) -> str | None:
    """Which limit a 429 hit: ``"tokens"``, ``"requests"`` or ``None`` when nothing says.

    OpenAI's error ``type`` names it; else the message ("tokens per min", "input tokens",
    "requests per min"); else the limit whose ``-remaining`` header reads ``0`` (tokens first).
    """
    if error_type in ("tokens", "requests"):
        return error_type
    text = (message or "")[:2000].lower()
    if "tokens per min" in text or "input tokens" in text or "output tokens" in text:
        return "tokens"
    if "requests per min" in text or " requests per " in text:
        return "requests"
    lowered = snapshot(headers)
    hit = {
        kind
        for prefix, suffix, kind, _ in _LIMITS
        if parse_seconds(lowered.get(f"{prefix}remaining{suffix}")) == 0
    }
    for kind in ("tokens", "requests"):
        if kind in hit:
            return kind
    return None


def _positive(wait: float | None) -> float | None:
    return wait if wait is not None and wait > 0 else None
