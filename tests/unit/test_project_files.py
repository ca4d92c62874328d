"""The README's promises, the packaging metadata and the CI script stay in step."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

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


def test_project_urls_lead_to_the_docs_source_changelog_and_tracker() -> None:
    """[project.urls] names Documentation, Source, Changelog and Issues; the site links the same."""
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    urls = project["urls"]
    assert ["Changelog", "Documentation", "Issues", "Source"] == sorted(urls)
    assert all(url.startswith("https://") for url in urls.values())
    source = urls["Source"]
    assert urls["Changelog"] == f"{source}/blob/main/CHANGELOG.md"
    assert urls["Issues"] == f"{source}/issues"
    site = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"\nrepo_url: {source}\n" in site
    assert f"\nsite_url: {urls['Documentation']}\n" in site


# The extra each helper of examples/_local.py needs (the examples reach their SDK through these).
_CLIENT_EXTRAS = {
    "openai_client": "openai",
    "async_openai_client": "openai",
    "anthropic_client": "anthropic",
    "gemini_client": "gemini",
    "bedrock_client": "bedrock",
}


def test_examples_page_lists_the_extras_each_example_needs() -> None:
    """docs/examples.md has a row per example whose extras are exactly the SDKs it uses."""
    page = (ROOT / "docs" / "examples.md").read_text(encoding="utf-8")
    rows = {
        match[1]: set(re.findall(r"[a-z]+", match[2].split("+")[0]))
        for match in re.finditer(r"^\| `(examples/\w+\.py)`[^|]*\| ([^|]+) \|", page, re.MULTILINE)
    }
    examples = sorted(p for p in (ROOT / "examples").glob("[!_]*.py"))
    assert sorted(f"examples/{p.name}" for p in examples) == sorted(rows)
    for path in examples:
        code = path.read_text(encoding="utf-8")
        needed = {extra for helper, extra in _CLIENT_EXTRAS.items() if f"{helper}(" in code}
        assert (f"examples/{path.name}", needed) == (
            f"examples/{path.name}",
            rows[f"examples/{path.name}"],
        )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_public_api_is_fully_typed_on_a_bare_install(tmp_path: Path) -> None:
    """pyright --verifytypes scores 100% against an install without any extra (no redis, no SDK)."""
    uv, pyright = shutil.which("uv"), shutil.which("pyright", path=str(Path(sys.executable).parent))
    assert uv is not None
    assert pyright is not None
    venv = tmp_path / "venv"
    run: dict[str, Any] = {"check": True, "capture_output": True, "text": True, "timeout": 300}
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], **run)  # noqa: S603
    python = str(venv / "bin" / "python")
    install = [uv, "pip", "install", "-q", "--refresh-package", DISTRIBUTION, "--python", python]
    subprocess.run([*install, str(ROOT)], **run)  # noqa: S603
    listed = subprocess.run([uv, "pip", "list", "--python", python], **run)  # noqa: S603
    assert "redis" not in listed.stdout
    env = {**os.environ, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    proc = subprocess.run(  # noqa: S603 - the project's pyright on the bare install
        [pyright, "--verifytypes", "resilience_kit", "--ignoreexternal"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert str(venv) in proc.stdout, proc.stdout[-3000:]  # the installed copy was checked
    assert "Type completeness score: 100%" in proc.stdout, proc.stdout[-3000:]
    assert 0 == proc.returncode, proc.stdout[-3000:]
