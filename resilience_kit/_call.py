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

Nothing is stored on the user's exceptions. The context travels in one ``ContextVar`` for the
whole kit (no tool creates a ``ContextVar`` per object). A generator's state never depends on the
context its last ``next()`` runs in: the layer that owns a stream holds its context object and
re-enters it around each step (`entered()`), as Starlette/anyio run each ``next()`` in a fresh
copy of the context.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Generator
from contextvars import ContextVar
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


class _Facts:
    """What every layer of one attempt learns: shared by a call's context and its narrowed
    children (a per-attempt timeout, a tighter deadline), so a breaker inside a timeout layer and
    the retry outside it read the same answers."""

    __slots__ = ("attempt", "classification", "failure", "rejection")

    def __init__(self, attempt: int) -> None:
        self.attempt = attempt
        self.failure: BaseException | None = None
        self.classification: Any = None
        self.rejection: Rejection | None = None


class CallContext:
    """What the layers of one call share; owned by the call, never by a tool.

    Times are absolute, on the kit's clock (``_clock.monotonic()``); ``math.inf`` means "no
    bound". A layer that tightens a bound (`opened()` with a deadline, `bounded()`) gets a *child*
    context with its own bounds and the same attempt facts; the bounds of the context it came from
    never change, so concurrent sub-calls (``asyncio.gather`` inside a call) cannot disturb each
    other's bounds. Not thread-safe by design: one attempt's layers run one after another.
    """

    __slots__ = ("_facts", "attempt_deadline", "deadline", "start")

    def __init__(
        self,
        start: float,
        deadline: float = math.inf,
        attempt_deadline: float = math.inf,
        attempt: int = 1,
    ) -> None:
        self.start = start
        self.deadline = deadline
        """When the whole call (every attempt and wait) must be done: the retry deadline."""
        self.attempt_deadline = attempt_deadline
        """When the current attempt (its queueing included) must be done: its timeout."""
        self._facts = _Facts(attempt)

    def __repr__(self) -> str:
        return (
            f"CallContext(start={self.start!r}, deadline={self.deadline!r}, "
            f"attempt_deadline={self.attempt_deadline!r}, attempt={self.attempt!r})"
        )

    def narrowed(
        self, *, deadline: float = math.inf, attempt_deadline: float = math.inf
    ) -> CallContext:
        """A child context: bounds at least as tight as these, the same attempt facts."""
        child = CallContext.__new__(CallContext)
        child.start = self.start
        child.deadline = min(self.deadline, deadline)
        child.attempt_deadline = min(self.attempt_deadline, attempt_deadline)
        child._facts = self._facts
        return child

    @property
    def call(self) -> object:
        """One object per call, the same for every child context: the key for per-call state
        a tool keeps outside the context (a child made by an inner timeout is the same call)."""
        return self._facts

    @property
    def attempt(self) -> int:
        """The current attempt's number (1 for the first)."""
        return self._facts.attempt

    @attempt.setter
    def attempt(self, value: int) -> None:
        self._facts.attempt = value

    @property
    def failure(self) -> BaseException | None:
        """The exception that ended the current attempt, once a layer has seen it."""
        return self._facts.failure

    @property
    def classification(self) -> Any:
        """``failure``'s ``Classification`` (typed loosely: L0 cannot import ``_classify``)."""
        return self._facts.classification

    @property
    def rejection(self) -> Rejection | None:
        """Set by a breaker that judged ``failure`` and now refuses calls."""
        return self._facts.rejection

    @rejection.setter
    def rejection(self, value: Rejection | None) -> None:
        self._facts.rejection = value

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
        facts = self._facts
        facts.attempt += 1
        facts.failure = None
        facts.classification = None
        facts.rejection = None

    def classified(self, exc: BaseException, classify: Callable[[BaseException], T]) -> T:
        """*exc*'s classification, computed at most once per failed attempt.

        The first layer that meets *exc* classifies it; every layer after reads the same answer.
        A different exception (a fallback's, a second failure) is classified afresh.
        """
        facts = self._facts
        if facts.failure is exc and facts.classification is not None:
            found: T = facts.classification
            return found
        found = classify(exc)
        facts.failure = exc
        facts.classification = found
        facts.rejection = None
        return found


# The one ContextVar for call contexts: the context of the call running in this thread/task, if any.
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


@contextlib.contextmanager
def opened(
    deadline: float | None = None, *, fresh: bool = False
) -> Generator[CallContext, None, None]:
    """The current call's context, or a new one when no kit layer opened one yet.

    *deadline* (seconds from now, or None) tightens the call's deadline within the block (a child
    context: the outer context's bounds never change). A layer that opens the context owns it; a
    layer inside reuses the outer one, so hand-stacked decorators share one deadline where they
    run in the same thread/task. *fresh* (a retry nested inside another kit call) keeps the
    enclosing bounds but counts its own attempts and failures.
    """
    ctx = _CURRENT.get()
    if ctx is not None and deadline is None and not fresh:
        yield ctx
        return
    now = _clock.monotonic()
    until = math.inf if deadline is None else now + deadline
    if ctx is None:
        inner = CallContext(start=now, deadline=until)
    elif fresh:
        inner = CallContext(now, min(ctx.deadline, until), ctx.attempt_deadline)
    else:
        inner = ctx.narrowed(deadline=until)
    token = _CURRENT.set(inner)
    try:
        yield inner
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def bounded(seconds: float) -> Generator[CallContext, None, None]:
    """Within this block the current attempt must be done *seconds* from now (or sooner, if an
    enclosing bound says so): the per-attempt timeout every inner wait honours."""
    ctx = _CURRENT.get()
    now = _clock.monotonic()
    if ctx is None:
        inner = CallContext(start=now, attempt_deadline=now + seconds)
    else:
        inner = ctx.narrowed(attempt_deadline=now + seconds)
    token = _CURRENT.set(inner)
    try:
        yield inner
    finally:
        _CURRENT.reset(token)


def time_left() -> float:
    """Seconds the current call may still spend (``inf`` outside a bounded call)."""
    ctx = _CURRENT.get()
    return math.inf if ctx is None else ctx.time_left()
