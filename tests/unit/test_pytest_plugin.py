"""The pytest plugin: ``rk_*`` fixtures, and nothing changed for projects that do not use them."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

_REPO = Path(__file__).resolve().parents[2]

_PLAIN_PROJECT = """
import logging

import structlog


def test_plain(request):
    \"\"\"A test of a project that never asks for the kit's fixtures.\"\"\"
    root = logging.getLogger()
    handlers = sorted(type(h).__name__ for h in root.handlers)
    print("STATE", handlers, root.level, structlog.is_configured(), sorted(request.fixturenames))
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An inner pytest project that imports this checkout of the kit (not an installed copy)."""
    monkeypatch.setenv("PYTHONPATH", str(_REPO))
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_a_project_that_never_uses_the_fixtures_runs_the_same_with_and_without_the_plugin(
    project: pytest.Pytester,
) -> None:
    """Same outcome, same captured output, no warnings, no fixture of the kit in use."""
    project.makepyfile(test_plain=_PLAIN_PROJECT)
    with_plugin = project.runpytest_subprocess("-W", "error", "-rA", "-s", "-p", "no:cacheprovider")
    without = project.runpytest_subprocess(
        "-W", "error", "-rA", "-s", "-p", "no:cacheprovider", "-p", "no:resilience_kit"
    )
    with_plugin.assert_outcomes(passed=1)
    without.assert_outcomes(passed=1)
    state = [line.partition("STATE")[2] for line in with_plugin.outlines if "STATE" in line]
    assert 1 == len(state)
    assert state == [line.partition("STATE")[2] for line in without.outlines if "STATE" in line]
    assert "warning" not in with_plugin.stdout.str().lower()
    assert with_plugin.stderr.str() == without.stderr.str() == ""


def test_the_fixtures_are_named_rk_and_the_old_fake_llm_name_warns(
    project: pytest.Pytester,
) -> None:
    """rk_no_wait and rk_fake_llm work; fake_llm is the same server with a deprecation warning."""
    project.makepyfile(
        test_user="""
        def test_no_wait(rk_no_wait):
            assert 0 == rk_no_wait.count

        def test_server(rk_fake_llm):
            assert rk_fake_llm.url.startswith("http://127.0.0.1:")

        def test_old_name(fake_llm, rk_fake_llm):
            assert fake_llm is rk_fake_llm
        """
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-W", "default")
    result.assert_outcomes(passed=3, warnings=1)
    result.stdout.fnmatch_lines(
        ["*DeprecationWarning: the fake_llm fixture is deprecated; use rk_fake_llm*"]
    )
