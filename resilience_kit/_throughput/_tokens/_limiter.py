"""``TokenLimiter``: admit a call only when one request and its tokens fit the provider's budget.

The budget is one bucket per limit (requests, tokens, and Anthropic's output tokens), refilled
continuously. The limits are declared (``rpm=``, ``tpm=``) or learned from the rate-limit headers
of every answer, successful or not, once the limiter is attached to the client's HTTP layer with
[`observe()`][resilience_kit.observe]: OpenAI's full sets, Azure OpenAI's remaining-only sets and
Anthropic's split input/output sets (see ``_learn``). Each answer also sets the level: its
``remaining`` is the server's count when that request was admitted, corrected for what was sent
since (this also counts other processes' calls on the same key).

A call is charged as its provider counts it (``_learn.Charges``); callers queue in arrival order
and every wait is bounded by ``max_wait``, the call's deadline and the attempt's timeout
(``_plans``). Before any limit is known, one call goes out alone until its answer's headers
arrive; if answers carry no rate-limit headers, the limiter steps aside and, after a 429 with a
server hint, holds every caller for that hint (the reactive gate's behaviour).

The state lives in a [`Storage`][resilience_kit.storage.Storage]: ``RedisStorage`` shares one budget
across processes (atomic takes in Lua, timed by the Redis server; nothing is ever pending there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from typing_extensions import ParamSpec

from resilience_kit._throughput._estimate import Estimate
from resilience_kit._throughput._guard import Guard
from resilience_kit._throughput._tokens import _wrap
from resilience_kit._throughput._tokens._core import LimiterCore
from resilience_kit._throughput._tokens._plans import admission, adrive, drive
from resilience_kit._throughput._tokens._settle import settlement
from resilience_kit._throughput._tokens._ticket import Ticket

__all__ = ["TokenLimiter"]

P = ParamSpec("P")
R = TypeVar("R")


class TokenLimiter(LimiterCore, Guard):
    """Proactive admission against a provider's requests and tokens limits (see the module doc).

    *rpm* / *tpm* declare the limits (requests and tokens per *period* seconds, 60 for the
    providers' per-minute limits); without them the limits are learned from the answers of a
    client attached with [`observe()`][resilience_kit.observe] (*period* is then only assumed
    until reset headers or successive answers tell the refill). *cost* estimates a call's tokens
    from the decorated function's arguments (an ``int``, or ``None`` for "unknown"); the default
    reads OpenAI and Anthropic shaped keyword arguments (``messages``, ``system``, ``max_tokens``,
    ...) and otherwise charges what the requests seen going out were charged. A call whose wait
    would not fit *max_wait* seconds, the call's deadline or the attempt's timeout (which must
    also leave the time its calls usually take) raises ``GateClosedError`` at once (None: no own
    bound). *storage* defaults to a private
    ``MemoryStorage``; ``RedisStorage`` shares the budget between processes. Usable as
    ``@limiter`` (the cost is read from the call's arguments), ``with limiter:`` and
    ``async with limiter:`` (the average cost), and in ``resilient(tokens=...)``.
    """

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorate *fn*: each call is admitted with the tokens its arguments are estimated at;
        a stream is settled once wherever it ends (any thread, task or context)."""
        return _wrap.decorate(self, fn)

    # -- Guard: with / async with (the average cost) -----------------------------------------
    def _enter(self) -> None:
        self._push(self._admit(None))

    async def _aenter(self) -> None:
        self._push(await self._aadmit(None))

    def _exit(self, exc: BaseException | None) -> None:
        ticket = self._pop()
        if ticket is not None:
            self._finish(ticket, exc, None)

    async def _aexit(self, exc: BaseException | None) -> None:
        ticket = self._pop()
        if ticket is not None:
            await self._afinish(ticket, exc, None)

    # -- admission and settlement (the plans, driven) ---------------------------------------
    def _admit(self, estimate: Estimate | None) -> Ticket:
        ticket: Ticket = drive(self, admission(self, estimate))
        return ticket

    async def _aadmit(self, estimate: Estimate | None) -> Ticket:
        ticket: Ticket = await adrive(self, admission(self, estimate))
        return ticket

    def _finish(self, ticket: Ticket, exc: BaseException | None, result: object) -> None:
        drive(self, settlement(self, ticket, exc, result))

    async def _afinish(self, ticket: Ticket, exc: BaseException | None, result: object) -> None:
        await adrive(self, settlement(self, ticket, exc, result))
