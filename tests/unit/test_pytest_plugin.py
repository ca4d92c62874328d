"""The pytest plugin: ``rk_*`` fixtures, and nothing changed for projects that do not use them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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


_LOADED = """
import json
import os
import sys


def pytest_sessionfinish(session):
    with open(os.environ["RK_LOADED"], "w") as out:
        json.dump(sorted(sys.modules), out)
"""

_HEAVY = {"pydantic", "structlog", "tenacity"}


def _loaded_by(*code: str, env: dict[str, str]) -> set[str]:
    proc = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-c", "import json, sys; " + "; ".join(code)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(proc.stdout))


def test_a_project_that_never_uses_the_kit_does_not_load_it(
    project: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plugin imports none of the kit's tools or its dependencies into such a run: nothing
    beyond what a bare ``import resilience_kit`` loads (pydantic, structlog and tenacity are
    loaded by neither once ``import resilience_kit`` itself defers them)."""
    loaded = tmp_path / "loaded.json"
    project.makeconftest(_LOADED)
    project.makepyfile(test_plain="def test_plain():\n    assert True\n")
    monkeypatch.setenv("RK_LOADED", str(loaded))
    env = {**os.environ, "PYTHONPATH": str(_REPO)}
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    in_pytest = set(json.loads(loaded.read_text(encoding="utf-8")))
    package = _loaded_by("import resilience_kit", "print(json.dumps(list(sys.modules)))", env=env)
    kit = {name for name in in_pytest if name.split(".")[0] == "resilience_kit"}
    plugin = {"resilience_kit.testing", "resilience_kit.testing._pytest_plugin"}
    plugin.add("resilience_kit._state")  # standard library only: the checkpoints' list
    assert set() == kit - package - plugin
    heavy = {name for name in in_pytest if name.split(".")[0] in _HEAVY}
    assert set() == heavy - package


_OLD_PROJECT = """
import pytest

import resilience_kit as rk


@pytest.fixture(scope="session")
def shared():
    return rk.circuit_breaker("shared", failure_threshold=1)


def test_plain():
    assert True


def test_no_wait(rk_no_wait, shared):
    with pytest.raises(ConnectionError), shared:
        raise ConnectionError("down")
    assert rk.CircuitState.OPEN == shared.state


def test_isolated(shared):
    assert rk.CircuitState.CLOSED == shared.state
"""


@pytest.fixture(scope="session")
def old_pytest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with pytest 7.3.2, pluggy 1.0.0 and this checkout of the kit (editable), nothing
    else: the oldest versions the plugin supports."""
    uv = shutil.which("uv")
    if uv is None:  # pragma: no cover - uv runs this suite
        pytest.fail("uv is needed to build the pytest 7.3.2 venv")
    venv = tmp_path_factory.mktemp("old-pytest") / "venv"
    run = {"check": True, "capture_output": True, "timeout": 300}
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], **run)  # noqa: S603
    python = venv / "bin" / "python"
    install = [uv, "pip", "install", "-q", "--python", str(python), "-e", str(_REPO)]
    subprocess.run([*install, "pytest==7.3.2", "pluggy==1.0.0"], **run)  # noqa: S603
    return python


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_pytest_7_3_and_pluggy_1_0_run_the_plugin(old_pytest: Path, tmp_path: Path) -> None:
    """With pytest 7.3.2 / pluggy 1.0.0 a plain test, the fixtures and the isolation all work."""
    (tmp_path / "test_user.py").write_text(_OLD_PROJECT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "VIRTUAL_ENV"))}
    proc = subprocess.run(  # noqa: S603 - the venv's interpreter running pytest
        [str(old_pytest), "-m", "pytest", "-p", "no:cacheprovider", "-W", "error", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert 0 == proc.returncode, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout
    version = subprocess.run(  # noqa: S603 - the venv's interpreter
        [
            str(old_pytest),
            "-c",
            "import pytest, pluggy; print(pytest.__version__, pluggy.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "7.3.2 1.0.0" == version.stdout.strip()
