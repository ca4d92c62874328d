"""The command line: --version, presets [--file], explain, errors and exit codes."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import resilience_kit
from resilience_kit._cli._main import main
from resilience_kit._retry._presets import _reset_for_tests

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    """`python -m resilience_kit presets | head -1` prints no BrokenPipeError traceback."""
    proc = subprocess.run(  # noqa: S602 - a fixed command line, no user input
        f"{sys.executable} -m resilience_kit presets | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert 1 == len(proc.stdout.splitlines())
    assert "Traceback" not in proc.stderr


@pytest.fixture(autouse=True)
def _builtin_presets_only() -> Iterator[None]:
    """Presets a command loads from a file do not leak into other tests."""
    _reset_for_tests()
    yield
    _reset_for_tests()


def _explain_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert 0 == main(["explain", *args, "--json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def test_version_is_the_packages_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`--version` prints the program name and ``resilience_kit.__version__`` (the metadata's)."""
    with pytest.raises(SystemExit) as caught:
        main(["--version"], prog="resilience-kit")
    assert 0 == caught.value.code
    assert f"resilience-kit {resilience_kit.__version__}\n" == capsys.readouterr().out
    assert metadata.version("llm-resilience-kit") == resilience_kit.__version__


_UNINSTALLED = """
import resilience_kit
from resilience_kit._cli._main import main
print(resilience_kit.__file__)
print(resilience_kit.__version__)
try:
    main(["--version"], prog="resilience-kit")
except SystemExit as end:
    print(end.code)
"""


def test_version_from_a_source_tree_that_was_never_installed(tmp_path: Path) -> None:
    """Run from a copy of the source tree, with the dependencies but without the distribution's
    metadata: `--version` still prints ``resilience_kit.__version__``."""
    site = tmp_path / "site"
    site.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if "resilience_kit" not in entry.name and entry.suffix != ".pth":
            (site / entry.name).symlink_to(entry)
    source = tmp_path / "checkout"
    shutil.copytree(ROOT / "resilience_kit", source / "resilience_kit")
    proc = subprocess.run(  # noqa: S603 - our interpreter, no site: the checkout and its dependencies
        [sys.executable, "-S", "-c", _UNINSTALLED],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(source), str(site)))},
    )
    assert "" == proc.stderr
    where, version, printed, code = proc.stdout.splitlines()
    assert where.startswith(str(source))
    assert "0+unknown" == version  # no metadata: the package says so
    assert (f"resilience-kit {version}", "0") == (printed, code)


def test_console_script_is_declared_for_main() -> None:
    """pyproject.toml declares the `resilience-kit` console script, pointing at main()."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    target = data["project"]["scripts"]["resilience-kit"]
    module, _, name = target.partition(":")
    assert main is getattr(importlib.import_module(module), name)


def test_python_dash_m_names_itself(capsys: pytest.CaptureFixture[str]) -> None:
    """Help and errors of `python -m resilience_kit` name the program as it was run."""
    proc = subprocess.run(
        [sys.executable, "-m", "resilience_kit", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert 0 == proc.returncode
    assert proc.stdout.startswith("python -m resilience_kit ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["explain", "--status", "200"], "expected an HTTP status 400-599, got 200"),
        (["explain", "--status", "many"], "expected an HTTP status 400-599, got 'many'"),
        (["explain", "--status", "429", "--header", "retry-after"], "expected NAME:VALUE"),
        (["explain", "--header", "retry-after:2"], "--status is required"),
        (["explain", "--provider", "cohere", "--status", "500"], "invalid choice: 'cohere'"),
        (["explain", "--status", "429", "--body", "{}", "--code", "x"], "either --body or --code"),
        (["explain", "--in-stream", "--type", "overloaded_error"], "--in-stream needs --provider"),
        (["explain", "--provider", "openai", "--in-stream", "--status", "500"], "not --status"),
        (["presets", "--file", "no/such/presets.toml"], "no such file"),
        (["presets", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["nope"], "invalid choice: 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every kind of bad input: exit status 2 and a single error line naming the problem."""
    try:
        code = main(args, prog="resilience-kit")
    except SystemExit as exc:  # argparse's own checks exit
        code = exc.code
    assert 2 == code
    captured = capsys.readouterr()
    assert "" == captured.out
    assert 1 == len(captured.err.splitlines()), captured.err
    assert message in captured.err
    assert captured.err.startswith("resilience-kit")


def test_explain_http_quota_is_not_retried_by_any_preset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A 429 whose body says insufficient_quota is a quota stop: every preset says not retried."""
    report = _explain_json(
        capsys, "--status", "429", "--body", '{"error": {"code": "insufficient_quota"}}'
    )
    assert "quota" == report["classification"]["category"]
    assert report["breaker_counts_failure"] is True
    assert ["default", "openai", "anthropic", "gemini", "bedrock", "interactive", "batch"] == [
        p["preset"] for p in report["presets"]
    ]
    assert [False] * 7 == [p["retried"] for p in report["presets"]]
    assert {"not_retryable"} == {p["reason"] for p in report["presets"]}


def test_explain_hint_waits_where_the_cap_allows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """retry-after: 30 is waited by presets capped at >= 30 s and refused by the others."""
    presets = tmp_path / "presets.toml"
    presets.write_text("[presets.strict]\nmax_retry_after = 10\n", encoding="utf-8")
    report = _explain_json(
        capsys, "--status", "429", "--header", "Retry-After: 30", "--file", str(presets)
    )
    waits = {p["preset"]: (p["retried"], p["wait"], p["reason"]) for p in report["presets"]}
    assert {
        "default": (True, 30.0, "server_hint"),
        "openai": (True, 30.0, "server_hint"),
        "anthropic": (True, 30.0, "server_hint"),
        "gemini": (True, 30.0, "server_hint"),
        "bedrock": (False, None, "retry_after_too_long"),
        "interactive": (False, None, "retry_after_too_long"),
        "batch": (True, 30.0, "server_hint"),
        "strict": (False, None, "retry_after_too_long"),
    } == waits
    assert {"retry-after": "30"} == report["failure"]["headers"]


def test_explain_without_hint_shows_the_backoff_range(capsys: pytest.CaptureFixture[str]) -> None:
    """A bare 503 waits the preset's first backoff: initial_wait plus up to jitter seconds."""
    assert 0 == main(["explain", "--status", "503"])
    out = capsys.readouterr().out
    assert "classification:  overloaded, retryable (provider http, status 503)" in out
    assert "  openai       retried after 0.5-1.5s (backoff: no server hint)" in out
    assert "  interactive  retried after 0.25-0.5s (backoff: no server hint)" in out


def test_explain_text_says_not_retried_for_a_bad_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A 400 context-length error: each preset line says not retried, and why."""
    body = '{"error": {"code": "context_length_exceeded"}}'
    assert 0 == main(["explain", "--status", "400", "--body", body])
    out = capsys.readouterr().out
    assert "classification:  context_length, not retryable" in out
    preset_lines = out.split("per preset:\n")[1].splitlines()
    assert 7 == len(preset_lines)
    assert all("not retried: context_length is not retryable" in line for line in preset_lines)


def test_presets_lists_the_files_presets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`presets --file x.toml` adds that file's presets to the table, marked with the file."""
    presets = tmp_path / "x.toml"
    presets.write_text(
        '[presets.chat]\nextends = "interactive"\nmax_attempts = 2\n'
        '[presets.nightly]\nextends = "batch"\nmax_attempts = 20\n',
        encoding="utf-8",
    )
    assert 0 == main(["presets", "--file", str(presets)])
    rows = {
        line.split()[0]: line.split()[1:3] for line in capsys.readouterr().out.splitlines()[2:11]
    }
    assert [str(presets), "2"] == rows["chat"]
    assert [str(presets), "20"] == rows["nightly"]
    assert ["built-in", "10"] == rows["default"]


def test_presets_reads_the_projects_pyproject(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --file, the presets in ./pyproject.toml are shown, as the README says."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.resilience_kit.presets.mine]\nextends = "openai"\n'
        "max_attempts = 3\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert 0 == main(["presets"])
    out = capsys.readouterr().out
    assert "mine         pyproject.toml  3" in out
    assert "  mine: 0.5-1.5, 1-2" in out


def test_presets_ignores_a_pyproject_without_presets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pyproject.toml with no [tool.resilience_kit.presets] adds nothing and is no error."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert 0 == main(["presets"])
    assert 7 == sum(" built-in " in line for line in capsys.readouterr().out.splitlines())


def test_presets_file_with_a_bad_value_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An invalid preset value names the table and field, on one line, exit 2."""
    presets = tmp_path / "bad.toml"
    presets.write_text("[presets.chat]\nmax_attempts = 0\n", encoding="utf-8")
    assert 2 == main(["presets", "--file", str(presets)])
    err = capsys.readouterr().err
    assert 1 == len(err.splitlines())
    assert "presets.chat.max_attempts" in err


def test_explain_says_when_the_answer_overrides_its_category(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """x-should-retry: false on a 500 is reported as an override, and no preset retries it."""
    assert 0 == main(["explain", "--status", "500", "--header", "x-should-retry:false"])
    out = capsys.readouterr().out
    assert "this answer is marked not retryable (server usually is)" in out
    assert 7 == out.count("not retried: server is not retryable")


def test_explain_preset_that_ignores_hints_backs_off(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A preset with respect_retry_after = false waits its backoff, not the server's 2 s."""
    presets = tmp_path / "presets.toml"
    presets.write_text(
        "[presets.deaf]\nrespect_retry_after = false\ninitial_wait = 3\njitter = 0\n",
        encoding="utf-8",
    )
    report = _explain_json(
        capsys, "--status", "429", "--header", "retry-after:2", "--file", str(presets)
    )
    deaf = next(p for p in report["presets"] if p["preset"] == "deaf")
    assert (True, 3.0, 3.0, "backoff") == (
        deaf["retried"],
        deaf["wait"],
        deaf["wait_max"],
        deaf["reason"],
    )
    assert "backoff: this preset ignores server hints" == deaf["why"]


def test_explain_wait_past_the_deadline_gives_up(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A hint the cap allows but the deadline does not: not retried, reason deadline."""
    presets = tmp_path / "presets.toml"
    presets.write_text("[presets.short]\ndeadline = 1\nmax_retry_after = 60\n", encoding="utf-8")
    report = _explain_json(
        capsys, "--status", "503", "--header", "retry-after:5", "--file", str(presets)
    )
    short = next(p for p in report["presets"] if p["preset"] == "short")
    assert (False, "deadline") == (short["retried"], short["reason"])
    assert "would end past the deadline of 1s" in short["why"]
