"""The per-call context: one object a call's layers share, bounds that only narrow inward."""

from __future__ import annotations

import asyncio
import math

import pytest

from resilience_kit import _call, _waits
from resilience_kit.testing import no_wait


def test_outside_any_call_nothing_is_bounded() -> None:
    """Without a kit layer around it, a wait is bounded only by the tool's own max_wait."""
    assert _call.current() is None
    assert math.inf == _call.time_left()
    assert _waits.Bound(3.0, "max_wait") == _waits.bound(3.0)


def test_bounds_narrow_inward_and_are_restored() -> None:
    """A timeout inside a deadline bounds by the earlier one; leaving it restores the outer."""
    with no_wait(), _call.opened(10.0) as outer:
        with _call.bounded(2.0) as inner:
            assert "timeout" == _waits.bound().by
            assert inner.deadline == outer.deadline
            with _call.bounded(5.0):  # looser than the enclosing timeout: no effect
                assert 2.0 >= _call.time_left()
        assert "deadline" == _waits.bound().by
        assert _call.current() is outer
        assert math.inf == outer.attempt_deadline


def test_children_share_the_attempt_facts() -> None:
    """A breaker inside a timeout layer and the retry outside it read the same facts."""
    calls: list[BaseException] = []

    def classify(exc: BaseException) -> str:
        calls.append(exc)
        return "server"

    failure = RuntimeError("503")
    with _call.opened() as outer:
        with _call.bounded(1.0) as inner:
            assert "server" == inner.classified(failure, classify)
            inner.rejection = _call.Rejection("llm", 5.0, 0.0, RuntimeError("open"))
        assert "server" == outer.classified(failure, classify)
        assert outer.rejection is not None
        assert [failure] == calls  # classified once
        outer.next_attempt()
        assert (2, None, None) == (outer.attempt, outer.classification, outer.rejection)


def test_a_fresh_context_keeps_bounds_but_counts_its_own_attempts() -> None:
    """A retry nested in another kit call inherits the bounds, not the attempt count."""
    with no_wait(), _call.opened(10.0) as outer:
        outer.next_attempt()
        with _call.opened(fresh=True) as nested:
            assert 1 == nested.attempt
            assert outer.deadline == nested.deadline
            nested.next_attempt()
        assert 2 == outer.attempt


def test_gathered_sub_calls_never_disturb_each_others_bounds() -> None:
    """Two concurrent bounded sub-calls of one call each see their own timeout throughout."""
    seen: dict[str, list[float]] = {"short": [], "long": []}

    async def sub(name: str, seconds: float) -> None:
        with _call.bounded(seconds):
            for _ in range(5):
                seen[name].append(_call.time_left())
                await asyncio.sleep(0)
                seen[name].append(_call.time_left())

    async def main() -> None:
        with _call.opened(100.0):
            await asyncio.gather(sub("short", 1.0), sub("long", 50.0))

    asyncio.run(main())
    assert all(left <= 1.0 for left in seen["short"])
    assert all(left > 1.0 for left in seen["long"])  # 49 s of slack for a loaded machine


def test_a_wait_leaves_the_call_the_time_it_needs() -> None:
    """With *need*, the deadline and the timeout must cover the wait and then the call; max_wait
    bounds only the wait. Without it a 0.9 s wait fits a 1 s timeout and the call is cut."""
    refused: list[_waits.Bound] = []

    def refuse(wanted: float, limit: _waits.Bound) -> BaseException:
        refused.append(limit)
        return TimeoutError(f"{wanted} > {limit.seconds}: {limit.describe()}")

    with _call.opened(None), _call.bounded(1.0) as ctx:
        now = ctx.attempt_deadline - 1.0  # when the attempt began
        assert 0.9 == _waits.fit(0.9, refuse, now=now)
        with pytest.raises(TimeoutError, match=r"keeping 0\.300s for the call itself"):
            _waits.fit(0.9, refuse, now=now, need=0.3)
        assert 0.7 == _waits.fit(0.7, refuse, now=now, need=0.3)
        assert 0.0 == _waits.fit(0.0, refuse, now=now, need=5.0)  # no wait: nothing to refuse
    assert "timeout" == refused[0].by
    assert 0.7 == pytest.approx(refused[0].seconds)
    assert 4.0 == _waits.bound(4.0, need=3.0).seconds  # outside a call: max_wait alone


def test_durations_keep_the_third_quartile_of_recent_calls() -> None:
    durations = _waits.Durations(size=4)
    assert 0.0 == durations.need()
    durations.add(0.2)
    assert 0.2 == durations.need()
    for seconds in (0.1, 0.4, 0.3, 9.0, -1.0):  # the oldest drop out; a jump back counts 0
        durations.add(seconds)
    assert 9.0 == durations.need()  # of 0.0, 0.3, 0.4, 9.0
