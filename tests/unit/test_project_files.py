"""The README's promises, the packaging metadata and the CI script stay in step."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import resilience_kit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTION = "llm-resilience-kit"
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def _readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", _readme(), re.DOTALL)
    assert block is not None, "README must start with a bash block of commands"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def _ci_lines() -> list[str]:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    return [line.strip() for line in script.splitlines()]


def _pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def test_readme_opens_with_demo_and_test_commands() -> None:
    """The first two README commands run the demo and the tests from the lock."""
    demo, tests = _readme_commands()[:2]
    assert demo.endswith("uv run --locked python -m resilience_kit demo")
    assert tests.endswith("uv run --locked python -m pytest")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """.ci/run runs the README's test command verbatim, plus ruff and mypy, and stops on failure."""
    test_command = _readme_commands()[1].split("&&")[-1].strip()
    lines = _ci_lines()
    assert test_command in lines
    assert "set -euo pipefail" in lines
    for check in ("ruff check .", "ruff format --check .", "mypy", "twine check --strict dist/*"):
        assert check in lines


def test_ci_runs_every_supported_python() -> None:
    """.ci/run lists exactly the Pythons the package metadata and README claim."""
    pythons = next(line for line in _ci_lines() if line.startswith("PYTHONS=("))
    assert sorted(SUPPORTED) == sorted(re.findall(r"3\.\d+", pythons))
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    classifiers = {c.rsplit(" ", 1)[-1] for c in project["classifiers"] if "Python :: 3." in c}
    assert set(SUPPORTED) == classifiers
    assert ">=3.10" == project["requires-python"]
    for version in SUPPORTED:
        assert version in _readme()


def test_distribution_name_is_used_everywhere() -> None:
    """Install lines name `llm-resilience-kit`, never the index's unrelated `resilience-kit`."""
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert DISTRIBUTION == project["name"]
    sources = [*ROOT.glob("resilience_kit/**/*.py"), *ROOT.glob("examples/*.py")]
    for path in [ROOT / "README.md", *sources]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w-])resilience-kit\[", text), path
        assert not re.search(r"pip install (['\"]?)resilience-kit\b", text), path


def test_dev_tools_are_not_user_dependencies() -> None:
    """Test and lint tools live in the dev dependency group, not in what users install."""
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    published = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        published.extend(extra)
    for tool in ("pytest", "hypothesis", "ruff", "mypy", "pyright", "freezegun"):
        assert not any(req.startswith(tool) for req in published), tool
    groups = _pyproject()["dependency-groups"]
    assert isinstance(groups, dict)
    assert any(req.startswith("pytest") for req in groups["dev"])


def test_version_comes_from_the_installed_metadata() -> None:
    """`resilience_kit.__version__` is the installed distribution's version."""
    assert metadata.version(DISTRIBUTION) == resilience_kit.__version__


def test_license_is_mit_and_shipped() -> None:
    """LICENSE exists, is MIT, and the metadata names it as the license file."""
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert "MIT" == project["license"]
    assert ["LICENSE"] == project["license-files"]
