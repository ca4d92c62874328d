"""One attempt record type: observers and lifecycle hooks see the same ``rk.AttemptRecord``."""

from __future__ import annotations

import pytest

import resilience_kit as rk
from resilience_kit._retry._decorator import _decorate
from resilience_kit._retry._hooks import Hooks
from resilience_kit._retry._observers import RetryObserver
from resilience_kit.testing import NoWait


class Keeper(RetryObserver):
    def __init__(self) -> None:
        self.records: list[object] = []

    def on_retry_scheduled(self, event: rk.AttemptRecord) -> None:
        self.records.append(event)

    def on_give_up(self, event: rk.AttemptRecord) -> None:
        self.records.append(event)


def test_observers_and_hooks_receive_the_same_record(rk_no_wait: NoWait) -> None:
    """The give-up an observer sees is the very record ``on_give_up`` gets, detail included."""
    keeper = Keeper()
    hooked: list[rk.AttemptRecord] = []

    def fail() -> None:
        raise TimeoutError("slow")

    hooks = Hooks.build(hooked.append, hooked.append, None)
    observed = _decorate(fail, rk.RetryPolicy(max_attempts=2), (keeper,), hooks)
    with pytest.raises(TimeoutError):
        observed()
    assert [rk.AttemptRecord, rk.AttemptRecord] == [type(r) for r in keeper.records]
    assert keeper.records == hooked
    assert ["retry", "give_up"] == [r.outcome for r in hooked]
    assert "max_attempts=2 reached" == hooked[-1].detail
