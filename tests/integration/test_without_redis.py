"""The suite on a machine without redis-server: Redis-backed tests skipped with one summary line,
everything else unaffected; with ``CI`` set the run fails instead; with redis-server, no skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_code_blocks import RUN

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration
INSTALL = "apt-get install redis-server"

_BLOCK = "tests/integration/test_code_blocks.py::test_runnable_block_runs[{}]"
# One Redis test file and two documentation blocks: the first using Redis, the first that does not.
SELECTION = [
    "tests/integration/test_redis_tokens_fleet.py",  # one test
    _BLOCK.format(next(b.id for b in RUN if "redis" in b.words)),
    _BLOCK.format(next(b.id for b in RUN if "redis" not in b.words)),
]


def _pytest(path: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The README's test command (``python -m pytest``) on SELECTION, with *path* as ``PATH``."""
    environ = {k: v for k, v in os.environ.items() if k not in {"CI", "PYTEST_ADDOPTS"}}
    environ.update(PATH=path, **env)
    return subprocess.run(  # noqa: S603 - our interpreter running pytest on this checkout
        [sys.executable, "-m", "pytest", "-p", "no:randomly", *SELECTION],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def no_redis_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PATH holding only this interpreter's folder (the venv's tools), without redis-server."""
    folder = Path(sys.executable).parent
    assert not (folder / "redis-server").exists()
    return str(folder)


@pytest.mark.timeout(600)
def test_without_redis_the_redis_tests_are_skipped_with_one_summary_line(
    no_redis_path: str,
) -> None:
    """Exit 0; the Redis test and the Redis block skipped, the other block passes; one line
    in the summary says why and how to install redis-server, and nothing else mentions it."""
    result = _pytest(no_redis_path)
    output = result.stdout + result.stderr
    assert 0 == result.returncode, output
    assert "1 passed, 2 skipped" in output, output
    mentions = [line for line in output.splitlines() if "redis-server" in line]
    assert 1 == len(mentions), output
    assert mentions[0].startswith("SKIPPED [2] ")
    assert "redis-server not found on PATH" in mentions[0]
    assert INSTALL in mentions[0]


@pytest.mark.timeout(600)
def test_without_redis_a_ci_run_fails(no_redis_path: str) -> None:
    """With CI=true (as .ci/run sets), a missing redis-server fails the run before any test."""
    result = _pytest(no_redis_path, CI="true")
    output = result.stdout + result.stderr
    assert pytest.ExitCode.USAGE_ERROR == result.returncode, output
    assert (
        "CI is set, so the Redis-backed tests must run: redis-server not found on PATH "
        f"(install it: {INSTALL})"
    ) in output
    assert "passed" not in output


@pytest.mark.redis
@pytest.mark.timeout(600)
def test_with_redis_nothing_is_skipped() -> None:
    """With redis-server on PATH the same selection passes whole, nothing skipped."""
    result = _pytest(os.environ["PATH"], CI="true")
    output = result.stdout + result.stderr
    assert 0 == result.returncode, output
    assert "3 passed" in output, output
    assert "skipped" not in output
