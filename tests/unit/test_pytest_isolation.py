"""The pytest plugin puts the kit's process-wide state back after each test of a user's suite."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import resilience_kit as rk

SHARED = rk.circuit_breaker("app", failure_threshold=1)  # made at import, as app code does


def trip(breaker):
    try:
        with breaker:
            raise ConnectionError("down")
    except ConnectionError:
        pass


def test_one_leaves_breakers_open():
    trip(SHARED)
    trip(rk.circuit_breaker("made-in-test", failure_threshold=1))
    assert rk.CircuitState.OPEN == SHARED.state


def test_two_starts_clean():
    assert rk.CircuitState.CLOSED == SHARED.state
    assert rk.circuit_breaker("app", failure_threshold=1) is SHARED
    again = rk.circuit_breaker("made-in-test", failure_threshold=3)  # another config is fine
    assert rk.CircuitState.CLOSED == again.state
"""


def test_breakers_and_their_config_never_leak_between_user_tests(
    pytester: pytest.Pytester,
) -> None:
    """An open registry breaker is closed again, and a name made in a test is forgotten."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-q")
    result.assert_outcomes(passed=2)
