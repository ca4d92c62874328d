"""The pytest plugin puts the kit's process-wide state back after each test of a user's suite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from resilience_kit import _state

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


SCOPED_FIXTURES = """
from collections.abc import Callable

import pytest

from resilience_kit import _state

import resilience_kit as rk


@pytest.fixture(scope="session")
def session_breaker():
    return rk.circuit_breaker("session-made", failure_threshold=1)


@pytest.fixture(scope="module")
def module_breaker():
    return rk.circuit_breaker("module-made", failure_threshold=1)


def trip(breaker):
    try:
        with breaker:
            raise ConnectionError("down")
    except ConnectionError:
        pass


def test_one_trips_them(session_breaker, module_breaker):
    trip(session_breaker)
    trip(module_breaker)
    assert rk.CircuitState.OPEN == session_breaker.state == module_breaker.state


def test_two_finds_them_closed_and_still_registered(session_breaker, module_breaker):
    assert rk.CircuitState.CLOSED == session_breaker.state == module_breaker.state
    assert rk.circuit_breaker("session-made", failure_threshold=1) is session_breaker
    assert rk.circuit_breaker("module-made", failure_threshold=1) is module_breaker
    trip(session_breaker)


def test_three_too(session_breaker):
    assert rk.CircuitState.CLOSED == session_breaker.state
"""


def test_breakers_made_in_session_and_module_fixtures_never_leak_open(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A registry breaker a session- or module-scoped fixture made is the state each test starts
    from: tripped in one test, closed in the next, and the name still gives the same breaker."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_user=SCOPED_FIXTURES)
    # A process of its own: the kit's modules load in it as in a user's run.
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=3)


def test_a_module_loaded_during_a_test_is_put_back_too() -> None:
    """A checkpoint registered while an isolation runs (the kit's tools loaded on first use, in
    the test) is taken at once and restored when the isolation ends."""
    registry: dict[str, int] = {}

    def checkpoint() -> Callable[[], None]:
        before = dict(registry)

        def restore() -> None:
            registry.clear()
            registry.update(before)

        return restore

    with _state.isolated():
        _state.register(checkpoint)  # as a module's import does
        registry["made-in-test"] = 1
    try:
        assert {} == registry
    finally:
        _state._checkpoints.remove(checkpoint)  # leave the process as it was
