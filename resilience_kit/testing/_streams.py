"""The stream state of ``FakeLLMServer``: the Responses API's stored responses and seeded cuts."""

from __future__ import annotations

import threading

from resilience_kit.testing._wire_responses import CutPlan, StoredResponse

__all__ = ["Streams"]


class Streams:
    """Mixed into ``FakeLLMServer``, which creates the fields below in ``__init__``."""

    _lock: threading.Lock
    _responses: dict[str, StoredResponse]
    _cut_plan: CutPlan | None
    _cuts: dict[str, list[int]]

    def cut_streams(self, seed: int | None, *, cuts: tuple[int, int] = (1, 3)) -> None:
        """Cut every stream (``None``: stop) at random event positions: *cuts* ``(low, high)``
        of them per stream, chosen by *seed* and what the stream asks (model and input, never
        a prefill or ``starting_after``), so the same streams are cut at the same places in
        every run, whatever the order of requests. Each position is cut once: a retry, a
        ``starting_after`` resume or a prefilled continuation runs past it. Cuts close the
        connection mid-body; `requests` records such an answer with its status (200)."""
        plan = None if seed is None else CutPlan.build(seed, cuts)
        with self._lock:
            self._cut_plan = plan
            self._cuts.clear()

    def _stored(self, response_id: str) -> StoredResponse | None:
        with self._lock:
            return self._responses.get(response_id)

    def _store(self, response: StoredResponse) -> None:
        with self._lock:
            self._responses[response.response_id] = response

    def _take_cut(self, key: str, position: int, total: int) -> bool:
        """Whether the stream *key* is cut before its event at *position* (once per place)."""
        with self._lock:
            plan = self._cut_plan
            if plan is None:
                return False
            pending = self._cuts.get(key)
            if pending is None:
                pending = self._cuts[key] = plan.positions(key, total)
            if position in pending:
                pending.remove(position)
                return True
            return False
