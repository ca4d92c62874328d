"""Continuation of a stream cut after output: the public protocol and the decisions of the relay.

A stream that fails after its first item is, by default, never retried: the caller already has
part of the output. With a `Continuation` the retry layer asks for a *follow-up* call instead —
given the call's arguments and every item delivered so far, the continuation returns the
arguments of a call that produces only what comes next (``starting_after`` a sequence number, an
assistant prefill) or declines with a reason. The follow-up is one more attempt of the same call:
it counts against ``max_attempts`` and the deadline, waits the policy's backoff (or the server's
hint) first, and goes through every layer stacked inside the retry (gate, limiter, token
limiter, breaker), which see it as a call of its own.

`Relay` makes every decision once; ``_relay.py`` drives it for generators and async generators.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from resilience_kit import _call, _clock
from resilience_kit._callables import add_note
from resilience_kit._categories import ErrorCategory
from resilience_kit._classify import Classification, classify_once
from resilience_kit._events import emit
from resilience_kit._retry._observers import AttemptRecord, first_veto, notify
from resilience_kit._retry._strategies import not_retried_because, plan_wait

if TYPE_CHECKING:
    from resilience_kit._retry._engine import Engine

__all__ = ["Continuation", "FollowUp", "Relay", "StreamCut"]

_NOTHING = contextlib.nullcontext()  # reusable: entered around each item of a first segment

Adapt = Callable[[Any], Iterable[Any]]
"""What a follow-up's items become before the caller sees them: each raw item maps to zero or
more items (a repeated preamble dropped, an overlap trimmed)."""


@dataclass(frozen=True, slots=True)
class StreamCut:
    """What a [`Continuation`][resilience_kit.Continuation] is told when a stream fails after
    output: the call's own arguments, every item the caller received (across every segment, in
    order), the failure and its classification, and how many follow-ups came before."""

    args: tuple[Any, ...]
    """The positional arguments of the original call."""
    kwargs: Mapping[str, Any]
    """The keyword arguments of the original call."""
    delivered: Sequence[Any]
    """Every item the caller received so far, oldest first."""
    failure: BaseException
    """The exception that cut the stream."""
    classification: Classification
    """``failure``'s classification (retryable: a continuation is asked only then)."""
    continued: int = 0
    """How many follow-ups this call already made."""


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A continuation's answer: call the function again with *args* and *kwargs* (and pass each
    item of that call through *adapt*, when given), or ``FollowUp.declined(reason)``."""

    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    adapt: Adapt | None = None
    """Maps each item of the follow-up to the items the caller sees (none to drop it)."""
    reason: str | None = None
    """Why the stream cannot be continued; None for a follow-up."""

    @classmethod
    def declined(cls, reason: str) -> FollowUp:
        """No follow-up: the failure propagates with *reason* in its note."""
        return cls(reason=str(reason) or "declined")


class Continuation:
    """How to continue a stream cut after output; pass one as ``retry(continuation=...)``.

    Override `follow_up()`; override `refused()` when a follow-up may be refused for a reason
    that should end the continuation (the original failure is then re-raised). Instances are
    shared by every call of the decorated function, across threads: keep them free of per-call
    state.
    """

    def follow_up(self, cut: StreamCut) -> FollowUp:
        """The follow-up call after *cut*, or ``FollowUp.declined(reason)``."""
        return FollowUp.declined(f"{type(self).__name__} does not continue streams")

    def refused(self, cut: StreamCut, error: BaseException) -> str | None:
        """The follow-up for *cut* failed before its first item with *error*: a reason to stop
        continuing and re-raise ``cut.failure`` instead, or None to judge *error* as any
        failed attempt."""
        return None


class Relay:
    """The decisions of one continued call: record what is delivered, judge each cut and each
    failed follow-up, plan the wait, tell observers and events. Never sleeps or calls the
    function itself (the drivers in ``_relay.py`` do)."""

    def __init__(
        self,
        engine: Engine,
        continuation: Continuation,
        call: tuple[Callable[..., Any], tuple[Any, ...], Mapping[str, Any]],
        attempts: int,
        start: float,
        ctx: _call.CallContext | None = None,
    ) -> None:
        self.engine = engine
        self.continuation = continuation
        self.func, self.args, self.kwargs = call
        self.attempts = attempts
        self.start = start
        self.delivered: list[Any] = []
        self.continued = 0
        self.cut: StreamCut | None = None
        self.follow: FollowUp | None = None
        self.ctx = ctx  # the call's context (found or made at the first cut when None)

    # -- the call's context ----------------------------------------------------------------

    def entered(self) -> contextlib.AbstractContextManager[Any]:
        """Around each step of a follow-up: its layers see this call's context (attempt,
        deadline), whatever context the consumer's ``next()`` runs in."""
        if self.ctx is None:
            return _NOTHING
        return _call.entered(self.ctx)

    def _context(self) -> _call.CallContext:
        if self.ctx is None:
            ctx = _call.current()
            if ctx is None:
                ctx = _call.CallContext(start=self.start, attempt=self.attempts)
                deadline = self.engine.policy.deadline
                if deadline is not None:
                    ctx.deadline = self.start + deadline
            self.ctx = ctx
        return self.ctx

    def _classified(self, exc: BaseException) -> Classification:
        found: Classification = self._context().classified(exc, classify_once)
        return found

    # -- decisions -------------------------------------------------------------------------

    def after_cut(self, exc: BaseException) -> float:
        """The stream failed with *exc* after output: the seconds to wait before the follow-up
        (`follow` is set), or *exc* is raised with a note saying why not."""
        found = self._classified(exc)
        if not_retried_because(self.engine.policy, found) is not None:
            self.engine.stream_failed(exc, self.attempts, self.start)  # as without continuation
            raise exc
        cut = StreamCut(
            self.args, self.kwargs, tuple(self.delivered), exc, found, continued=self.continued
        )
        self.cut = cut
        self._ask(cut, exc, found)
        return self._schedule(exc, found)

    def _ask(self, cut: StreamCut, exc: BaseException, found: Classification) -> None:
        """Set `follow` to the continuation's answer for *cut* (asked afresh before each
        follow-up attempt: an answer may carry state), or raise *exc* when it declines."""
        name = type(self.continuation).__name__
        try:
            answer = self.continuation.follow_up(cut)
        except Exception as problem:  # a broken continuation must not hide the failure
            answer = FollowUp.declined(f"{name}.follow_up raised {type(problem).__name__}")
        if not isinstance(answer, FollowUp):
            answer = FollowUp.declined(
                f"{name}.follow_up returned {type(answer).__name__}, not a FollowUp"
            )
        if answer.reason is not None:
            self._give_up(exc, found, f"not continued: {answer.reason}")
            raise exc
        self.follow = answer

    def after_failed_follow_up(self, exc: BaseException) -> float:
        """The follow-up failed with *exc* before its first item: the wait before trying it
        again, or raise (the original failure when the continuation says it was refused)."""
        cut = self.cut
        assert cut is not None
        try:
            refused = self.continuation.refused(cut, exc)
        except Exception:
            refused = None
        if refused is not None:
            original = cut.failure
            self._give_up(original, cut.classification, f"not continued: {refused}")
            raise original from exc
        found = self._classified(exc)
        why = not_retried_because(self.engine.policy, found)
        if why is not None:
            self._give_up(exc, found, why)
            raise exc
        wait = self._schedule(exc, found)
        self._ask(cut, exc, found)
        return wait

    def begin_follow_up(self) -> FollowUp:
        """The next attempt starts: count it, tell observers, move the call's context on."""
        follow = self.follow
        assert follow is not None
        self.attempts += 1
        self.continued += 1
        ctx = self._context()
        ctx.next_attempt()
        ctx.attempt = self.attempts
        state: Any = SimpleNamespace(attempt_number=self.attempts)
        self.engine.before(state)  # the observers that want to know an attempt starts
        return follow

    def _schedule(self, exc: BaseException, found: Classification) -> float:
        engine, policy = self.engine, self.engine.policy
        elapsed = _clock.monotonic() - self.start
        attempt = self.attempts
        plan = plan_wait(policy, found, attempt, elapsed, lambda: self._backoff(attempt))
        if plan.wait is None:
            self._give_up(exc, found, plan.detail)
            raise exc
        wait, reason = plan.wait, plan.reason
        refusal = self._refusal(exc)
        if refusal is not None and wait < refusal[1]:
            wait, reason = self._until_half_open(exc, found, refusal, elapsed)
        items = len(self.delivered)
        detail = f"continued after {items} item{'s' if items != 1 else ''}"
        event = AttemptRecord(engine.name, attempt, elapsed, wait, found, "retry", reason, detail)
        if engine.observers:
            veto = first_veto(engine.observers, event)
            if veto is not None:
                self._give_up(exc, found, f"retry refused: {veto}")
                raise exc
            notify(engine.observers, "on_retry_scheduled", event)
        emit("retry_scheduled", level="warning", detail=detail, **event.log_fields())
        return wait

    def _backoff(self, attempt: int) -> float:
        """The policy's backoff after failed attempt *attempt* (jitter included)."""
        low, high = self.engine.policy.backoff_range(attempt)
        return low if high <= low else random.uniform(low, high)

    def _refusal(self, exc: BaseException) -> tuple[str, float, BaseException] | None:
        """(circuit, seconds it still refuses calls, the error a call gets) when a breaker that
        judged *exc* announced a rejection on the call's context."""
        ctx = self.ctx
        announced = None if ctx is None or ctx.failure is not exc else ctx.rejection
        if announced is None:
            return None
        return announced.name, announced.left(), announced.error

    def _until_half_open(
        self,
        exc: BaseException,
        found: Classification,
        refusal: tuple[str, float, BaseException],
        elapsed: float,
    ) -> tuple[float, str]:
        """The breaker that judged *exc* now refuses calls: as for any attempt, fail fast
        (raise its rejection from *exc*) unless ``retry_on`` names ``circuit_open`` and the wait
        until half-open fits ``max_retry_after`` and the deadline."""
        policy = self.engine.policy
        name, wait, rejection = refusal
        fits = policy.deadline is None or elapsed + wait <= policy.deadline
        if (
            ErrorCategory.CIRCUIT_OPEN in policy.retry_on
            and wait <= policy.max_retry_after
            and fits
        ):
            return wait, "circuit_open"
        detail = f"circuit {name!r} rejects calls for {wait:.2f}s more"
        self._give_up(exc, found, detail)
        add_note(rejection, f"resilience_kit.retry: gave up on {self.engine.name}: {detail}")
        raise rejection from exc

    def _give_up(self, exc: BaseException, found: Classification | None, detail: str) -> None:
        """The call ends with *exc* after output: observers and metrics see a give-up
        ``after_first_item`` (the call was counted at its first item), *detail* says why."""
        engine = self.engine
        attempts = self.attempts
        elapsed = _clock.monotonic() - self.start
        items = len(self.delivered)
        add_note(
            exc,
            f"resilience_kit.retry: gave up on {engine.name} after {attempts} "
            f"attempt{'s' if attempts != 1 else ''} and {items} streamed "
            f"item{'s' if items != 1 else ''} in {elapsed:.2f}s: {detail}",
        )
        event = AttemptRecord(
            engine.name, attempts, elapsed, 0.0, found, "give_up", "after_first_item", detail
        )
        if engine.observers:
            notify(engine.observers, "on_give_up", event)
        emit("retry_gave_up", level="warning", detail=detail, **event.log_fields())
