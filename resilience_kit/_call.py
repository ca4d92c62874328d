"""One call's shared state: what the kit's layers of one call tell each other (L0).

A call through the kit has one `CallContext`. The outermost kit layer of the call (``@retry``,
or any tool used on its own) opens it with `opened()`; every layer inside reads it with
`current()` and never keeps its own copy of these facts:

- the call's **deadline** and the current attempt's **timeout** (as absolute monotonic times), so
  every wait the kit adds is bounded by the same rule (see ``_waits``);
- the **attempt** number;
- the attempt's **classification**, computed once per failed attempt by whichever layer meets
  the failure first and read by the others (`CallContext.classified`);
- a **rejection** a breaker announced after judging a failure ("the circuit refuses calls for N
  seconds"), which an outer retry reads instead of sleeping into a certain rejection.

Nothing is stored on the user's exceptions. There is exactly one ``ContextVar`` for the whole kit
(never one per object). A generator's state never depends on the context its last ``next()``
runs in: the layer that owns a stream holds its context object and re-enters it around each step
(`entered()`), as Starlette/anyio run each ``next()`` in a fresh copy of the context.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Generator
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, TypeVar

from resilience_kit import _clock

__all__ = ["CallContext", "Rejection", "bounded", "current", "entered", "opened", "time_left"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rejection:
    """A breaker's announcement: circuit *name* refuses calls for *retry_after* seconds from
    *at* (monotonic). *error* is the ``CircuitOpenError`` a call would get now."""

    name: str
    retry_after: float
    at: float
    error: BaseException

    def left(self, now: float | None = None) -> float:
        """Seconds of the announced refusal still to run."""
        now = _clock.monotonic() if now is None else now
        return max(self.at + self.retry_after - now, 0.0)


@dataclass(slots=True, eq=False)
class CallContext:
    """What the layers of one call share; owned by the call, never by a tool.

    Times are absolute, on the kit's clock (``_clock.monotonic()``); ``math.inf`` means "no
    bound". Not thread-safe by design: one call's layers run one after another.
    """

    start: float
    deadline: float = math.inf
    """When the whole call (every attempt and wait) must be done: the retry deadline."""
    attempt_deadline: float = math.inf
    """When the current attempt (its queueing included) must be done: the per-attempt timeout."""
    attempt: int = 1
    failure: BaseException | None = None
    """The exception that ended the current attempt, once a layer has seen it."""
    classification: Any = None
    """``failure``'s ``Classification`` (typed loosely: L0 cannot import ``_classify``)."""
    rejection: Rejection | None = None
    """Set by a breaker that judged ``failure`` and now refuses calls."""

    def until(self) -> float:
        """The earliest bound on the current attempt: its timeout or the call's deadline."""
        return min(self.deadline, self.attempt_deadline)

    def time_left(self, now: float | None = None) -> float:
        """Seconds until `until()` (``inf`` when unbounded; may be negative when past)."""
        until = self.until()
        if until == math.inf:
            return math.inf
        return until - (_clock.monotonic() if now is None else now)

    def next_attempt(self) -> None:
        """Start the next attempt: the previous one's failure, classification and rejection are
        forgotten (a reused exception object is judged afresh)."""
        self.attempt += 1
        self.failure = None
        self.classification = None
        self.rejection = None

    def classified(self, exc: BaseException, classify: Callable[[BaseException], T]) -> T:
        """*exc*'s classification, computed at most once per failed attempt.

        The first layer that meets *exc* classifies it; every layer after reads the same answer.
        A different exception (a fallback's, a second failure) is classified afresh.
        """
        if self.failure is exc and self.classification is not None:
            found: T = self.classification
            return found
        found = classify(exc)
        self.failure = exc
        self.classification = found
        self.rejection = None
        return found


# The one ContextVar of the kit: the context of the call running in this thread/task, if any.
_CURRENT: ContextVar[CallContext | None] = ContextVar("resilience_kit.call", default=None)


def current() -> CallContext | None:
    """The context of the call running here (``None`` outside any kit call)."""
    return _CURRENT.get()


@contextlib.contextmanager
def entered(ctx: CallContext) -> Generator[CallContext, None, None]:
    """Make *ctx* the current call's context within the block (re-entered around each step of
    a stream by the layer that owns it)."""
    token = _CURRENT.set(ctx)
    try:
        yield ctx
    finally:
        _CURRENT.reset(token)


class opened:  # noqa: N801 - used as a function: ``with opened(deadline) as ctx:``
    """The current call's context, or a new one when no kit layer opened one yet.

    *deadline* (seconds from now, or None) tightens the call's deadline for the block. A layer
    that opens the context owns it; a layer inside reuses the outer one, so hand-stacked
    decorators share one deadline where they run in the same thread/task. (A class rather than a
    generator: it runs on every call of every decorated function.)
    """

    __slots__ = ("_before", "_ctx", "_deadline", "_token")

    def __init__(self, deadline: float | None = None) -> None:
        self._deadline = deadline

    def __enter__(self) -> CallContext:
        ctx = _CURRENT.get()
        deadline = self._deadline
        if ctx is None:
            now = _clock.monotonic()
            ctx = CallContext(start=now)
            if deadline is not None:
                ctx.deadline = now + deadline
            self._token: Token[CallContext | None] | None = _CURRENT.set(ctx)
            self._ctx = ctx
            return ctx
        self._token = None
        self._ctx = ctx
        self._before = ctx.deadline
        if deadline is not None:
            ctx.deadline = min(ctx.deadline, _clock.monotonic() + deadline)
        return ctx

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _CURRENT.reset(self._token)
        else:
            self._ctx.deadline = self._before


@contextlib.contextmanager
def bounded(seconds: float) -> Generator[CallContext, None, None]:
    """Within this block the current attempt must be done *seconds* from now (or sooner, if an
    enclosing bound says so): the per-attempt timeout every inner wait honours."""
    with opened() as ctx:
        before = ctx.attempt_deadline
        ctx.attempt_deadline = min(before, _clock.monotonic() + seconds)
        try:
            yield ctx
        finally:
            ctx.attempt_deadline = before


def time_left() -> float:
    """Seconds the current call may still spend (``inf`` outside a bounded call)."""
    ctx = _CURRENT.get()
    return math.inf if ctx is None else ctx.time_left()
