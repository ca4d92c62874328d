"""What a finished call tells the budget: one plan, driven sync or async (see ``_plans``).

- An answer's rate-limit headers set the level: its ``remaining`` is the server's count when the
  request was admitted, corrected for what was sent since and the refill since the answer came.
- A 429 (or a refusal further in) was not charged by the server: its cost is given back.
- A success's ``usage`` corrects what the provider measures and the estimate missed (the prompt's
  tokens; Anthropic's output tokens, counted at ``max_tokens`` until the answer says).
- With answers that carry no rate-limit headers, a 429's hint blocks every caller (the gate).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resilience_kit import _clock
from resilience_kit._categories import ErrorCategory
from resilience_kit._classify import classify_once, snapshot
from resilience_kit._throughput._estimate import usage_tokens
from resilience_kit._throughput._guard import is_failure
from resilience_kit._throughput._tokens._plans import Op, Plan
from resilience_kit._throughput._tokens._reading import Reading, read_limits
from resilience_kit._throughput._tokens._ticket import Ticket

if TYPE_CHECKING:
    from resilience_kit._throughput._tokens._core import LimiterCore

__all__ = ["settlement"]

_DOWN = 0.35


def settlement(
    limiter: LimiterCore, ticket: Ticket, exc: BaseException | None, result: object
) -> Plan:
    """Account for a call that ended with *exc* (``None``: success, answer *result*)."""
    if ticket.settled:
        return
    ticket.settled = True
    if exc is None or ticket.received is not None:  # answered: how long such a call takes
        ended = _clock.monotonic() if exc is None else ticket.received
        limiter._durations.add((ended or ticket.at) - ticket.at)
    try:
        yield from _settle(limiter, ticket, exc, result)
    finally:
        limiter._ended(ticket)  # the first call goes out alone until its answer is accounted for
        limiter._news.ring()  # the head's wait was computed before this answer
        if ticket.probe:
            blind = ticket.headers is None and (exc is None or _limited(exc))
            limiter._end_probe(ticket, blind=blind)


def _limited(exc: BaseException) -> bool:
    return is_failure(exc) and classify_once(exc).category is ErrorCategory.RATE_LIMIT


def _settle(
    limiter: LimiterCore, ticket: Ticket, exc: BaseException | None, result: object
) -> Plan:
    limited, hint = _failure(limiter, ticket, exc)
    reading = None if ticket.headers is None else read_limits(ticket.headers)
    rate, cap = limiter._limits.shape()
    level = [0.0, 0.0, 0.0]
    spent = [0.0, 0.0, 0.0]
    if limited:  # the server did not charge a rejected request
        spent = [-amount for amount in ticket.cost]
        if reading is None:
            level = list(ticket.cost)
    elif exc is None:
        limiter._limits.grow()
        level, spent = _usage(limiter, ticket, result, reading)
    if reading is not None:
        learned = _learned(limiter, ticket, reading, rate, cap)
        # The answer to one of many concurrent requests is noisy (the server admitted them in
        # its own order): its remaining is read as if the calls sent before it and still
        # unanswered were not counted yet (never too high), and a level above it moves down
        # part of the way. The answer to a call that had the budget to itself, and a 429, are
        # sure.
        sure = ticket.sent is None or limiter._alone(ticket)
        learned["gain"] = (1.0, 1.0) if sure else (1.0, 1.0 if limited else _DOWN)
        if not sure:
            earlier = limiter._earlier(ticket)
            learned["remaining"] = tuple(
                None if left is None else left - earlier[i]
                for i, left in enumerate(learned["remaining"])
            )
        yield Op("learn", (limiter.key, learned))
    if ticket.sent is not None and (any(level) or any(spent)):
        yield Op(
            "settle",
            (limiter.key, {"level": tuple(level), "sent": tuple(spent), "rate": rate, "cap": cap}),
        )
    if limited and limiter._limits.blind and hint:
        yield Op("block", (limiter.key, hint))


def _failure(
    limiter: LimiterCore, ticket: Ticket, exc: BaseException | None
) -> tuple[bool, float | None]:
    """(rate limited, the server's hint) for a failed call; learns from its headers."""
    if exc is None or not is_failure(exc):
        return False, None
    found = classify_once(exc)
    if found.status_code == 429 and not ticket.probe and limiter._limits.known():
        limiter._limits.cut(ticket.at, _clock.monotonic())
    if ticket.headers is None:
        headers = getattr(getattr(exc, "response", None), "headers", None)
        if headers is not None and limiter._read(snapshot(headers), ticket):
            ticket.headers = snapshot(headers)
    return found.category is ErrorCategory.RATE_LIMIT, found.retry_after


def _usage(
    limiter: LimiterCore, ticket: Ticket, result: object, reading: Reading | None
) -> tuple[list[float], list[float]]:
    """(level change, sent change) from a success's usage."""
    used = usage_tokens(result) or ticket.usage
    if used is None:
        return [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
    estimate = ticket.body if ticket.body is not None else ticket.estimate  # what was sent
    counted = limiter._charges.used(estimate, used[0], used[1], ticket.split)
    delta = [counted[i] - ticket.cost[i] for i in range(3)]
    delta[0] = 0.0
    level = [-amount for amount in delta]
    if reading is not None:
        # The headers set the level as the server counted at admission; only what the server
        # corrects after the answer (Anthropic's output tokens) still changes it.
        level = [0.0, 0.0, level[2] if ticket.split else 0.0]
    return level, delta


def _learned(
    limiter: LimiterCore,
    ticket: Ticket,
    reading: Reading,
    rate: tuple[float, float, float],
    cap: tuple[float, float, float],
) -> dict[str, Any]:
    share = limiter._limits.share
    return {
        "remaining": tuple(None if left is None else left * share for left in reading.remaining),
        # Refill since the answer arrived, not since the request was sent: the server counted it
        # somewhere in between, and crediting less errs on the safe side.
        "age": _clock.monotonic() - (ticket.received or _clock.monotonic()),
        "sent": () if ticket.sent is None else ticket.sent,  # (): nothing sent since
        "rate": rate,
        "cap": cap,
    }
