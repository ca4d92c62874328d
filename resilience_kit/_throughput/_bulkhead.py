"""``bulkhead(max_concurrent)``: a hard cap on concurrent calls that rejects instead of queueing."""

from __future__ import annotations

from resilience_kit import _waits
from resilience_kit._checks import check_int, check_name, check_seconds
from resilience_kit._throughput._guard import Plan, Planned, Step
from resilience_kit._throughput._slots import Slots
from resilience_kit.exceptions import BulkheadFullError


class Bulkhead(Planned):
    """At most *max_concurrent* calls run at once; a call that finds no free slot within
    *max_wait* seconds raises [`BulkheadFullError`][resilience_kit.exceptions.BulkheadFullError]."""

    def __init__(self, max_concurrent: int, max_wait: float = 0.0, *, name: str = "bulkhead"):
        self.name: str = check_name("name", name)
        self.max_concurrent: int = check_int("max_concurrent", max_concurrent, 1)
        self.max_wait: float = check_seconds("max_wait", max_wait)
        self._slots = Slots(max_concurrent)

    @property
    def in_use(self) -> int:
        """Calls running inside the bulkhead right now."""
        return self._slots.in_use

    def _admit(self) -> Plan:
        limit = _waits.bound(self.max_wait)
        if not (yield Step(self._slots, "acquire", (limit.seconds,))):
            raise BulkheadFullError(self.name, self.max_concurrent, bounded_by=limit.describe())

    def _settle(self, exc: BaseException | None) -> Plan:
        self._slots.release()
        return
        yield  # a plan without steps: releasing a slot never blocks


def bulkhead(max_concurrent: int, max_wait: float = 0.0, *, name: str | None = None) -> Bulkhead:
    """A bulkhead of *max_concurrent* slots: ``@bulkhead(4)``, ``with b:`` or ``async with b:``.

    A call that finds every slot taken waits up to *max_wait* seconds (default 0: reject at once)
    and then raises ``BulkheadFullError(name, max_concurrent)``.
    """
    return Bulkhead(max_concurrent, max_wait, name="bulkhead" if name is None else name)
