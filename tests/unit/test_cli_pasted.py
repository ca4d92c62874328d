"""`explain` and `presets` on what people paste: log forms, bad header values, odd bytes.

Every input either gets an answer or is refused on one line with exit status 2; none prints a
traceback. Only ``--provider http`` here (no server); the SDK providers are in
tests/integration/test_cli_explain.py.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resilience_kit._cli._command import UsageError
from resilience_kit._cli._main import build_parser, main
from resilience_kit._cli._presets import describe_presets
from resilience_kit._retry import BUILTIN_PRESETS
from resilience_kit._retry._presets import _reset_for_tests

ROOT = Path(__file__).resolve().parents[2]
QUOTA = str(
    {"error": {"message": "over quota", "type": "insufficient_quota", "code": "insufficient_quota"}}
)


@pytest.fixture(autouse=True)
def _builtin_presets_only() -> Iterator[None]:
    """Presets a command loads from a file do not leak into other tests."""
    _reset_for_tests()
    yield
    _reset_for_tests()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args), prog="resilience-kit")
    except SystemExit as exc:  # argparse's own checks exit
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = _run(capsys, *args)
    assert (2, "") == (code, out)
    assert 1 == len(err.splitlines()), err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    "pasted",
    [
        f"Error code: 429 - {QUOTA}",
        f"openai.RateLimitError: Error code: 429 - {QUOTA}",
        QUOTA,
        f"  {QUOTA}\n",
        f"ERROR:root:request failed: openai.RateLimitError: Error code: 429 - {QUOTA}",
    ],
    ids=["str-exc", "traceback-line", "dict-repr", "padded", "logging-line"],
)
def test_http_pasted_quota_is_quota(capsys: pytest.CaptureFixture[str], pasted: str) -> None:
    """A quota body pasted as str(exc) or a dict repr is quota, not retried: not rate_limit."""
    code, out, _ = _run(capsys, "explain", "--status", "429", "--body", pasted, "--json")
    assert 0 == code
    found = json.loads(out)["classification"]
    assert ("quota", False, "insufficient_quota") == (
        found["category"],
        found["retryable"],
        found["error_code"],
    )


def test_a_pasted_text_body_keeps_its_status(capsys: pytest.CaptureFixture[str]) -> None:
    """`Error code: 502 - <html>...` (an SDK's str(exc) of a text body): a 502 server error."""
    body = "Error code: 502 - <html><body>Bad gateway</body></html>"
    code, out, _ = _run(capsys, "explain", "--body", body, "--json")
    assert 0 == code
    report: dict[str, Any] = json.loads(out)
    assert ("server", 502) == (
        report["classification"]["category"],
        report["classification"]["status_code"],
    )


def test_the_pasted_status_fills_in_status(capsys: pytest.CaptureFixture[str]) -> None:
    """`Error code: 429 - {...}` needs no --status: the text states it."""
    code, out, _ = _run(capsys, "explain", "--body", f"Error code: 429 - {QUOTA}", "--json")
    assert 0 == code
    report: dict[str, Any] = json.loads(out)
    assert (429, "sdk_str") == (report["failure"]["status"], report["failure"]["body_form"])


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("soon", "retry-after 'soon' is neither seconds nor an HTTP date: ignored"),
        ("-5", "retry-after '-5' is negative: ignored"),
        ("0", "retry-after '0' asks for no wait"),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "is a date in the past"),
    ],
)
def test_unusable_retry_after_is_reported(
    capsys: pytest.CaptureFixture[str], value: str, said: str
) -> None:
    """A retry-after the kit cannot use is named under "server hint", not silently "none"."""
    code, out, _ = _run(capsys, "explain", "--status", "429", "--header", f"retry-after:{value}")
    assert 0 == code
    assert "server hint:     none" in out
    assert said in out
    code, out, _ = _run(
        capsys, "explain", "--status", "429", "--header", f"retry-after:{value}", "--json"
    )
    assert 1 == len([n for n in json.loads(out)["header_notes"] if said in n])


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("retry-after-ms:0", "retry-after is not read"),
        ("retry-after-ms:later", "is not a number of milliseconds"),
        ("x-should-retry:True", "only the exact lower-case words"),
    ],
)
def test_other_unusable_hint_headers_are_reported(
    capsys: pytest.CaptureFixture[str], header: str, said: str
) -> None:
    """retry-after-ms and x-should-retry values no client obeys are named too."""
    code, out, _ = _run(capsys, "explain", "--status", "503", "--header", header)
    assert 0 == code
    assert said in out


def test_usable_hints_carry_no_note(capsys: pytest.CaptureFixture[str]) -> None:
    """A good retry-after is the hint, with no note line."""
    code, out, _ = _run(capsys, "explain", "--status", "429", "--header", "retry-after:2", "--json")
    assert (0, []) == (code, json.loads(out)["header_notes"])


def test_non_ascii_header_value_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """`--header "x-note:done ✓"`: one line and exit 2, before any server is involved."""
    err = _refused(
        capsys, "explain", "--provider", "openai", "--status", "429", "--header", "x-note:done ✓"
    )
    assert "printable ASCII" in err


def test_body_that_is_not_utf8_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """A --body from a command line in another encoding (lone surrogates) is refused."""
    err = _refused(capsys, "explain", "--status", "429", "--body", "caf\udce9")
    assert "--body is not UTF-8 text" in err


def test_latin1_presets_file_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`presets --file` with a Latin-1 file: one line naming the file, exit 2 (no traceback)."""
    path = tmp_path / "presets.toml"
    path.write_bytes("[presets.caf\u00e9]\nmax_attempts = 3\n".encode("latin-1"))
    for command in ("presets", "explain"):
        args = [command, "--file", str(path)] + (
            ["--status", "429"] if command == "explain" else []
        )
        err = _refused(capsys, *args)
        assert str(path) in err
        assert "utf-8" in err


def test_help_names_every_provider_and_built_in_preset() -> None:
    """`explain --help` says all four SDKs are rebuilt for real and lists every built-in preset."""
    text = " ".join(
        build_parser("resilience-kit")
        ._subparsers._group_actions[0]
        .choices["explain"]
        .format_help()
        .split()
    )  # type: ignore[union-attr]
    assert "openai, anthropic, gemini (google-genai) and bedrock (boto3)" in text
    assert "Built-in presets: " + ", ".join(BUILTIN_PRESETS) + "." in text


def test_docs_list_the_presets_that_exist() -> None:
    """docs/cli.md's `presets` output is what the command prints (every built-in preset)."""
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```text\n(.*?)```", docs, re.DOTALL)
    assert describe_presets() + "\n" in blocks
    explained = [b for b in blocks if "per preset:" in b]
    assert explained
    for block in explained:
        listed = [line.split()[0] for line in block.split("per preset:\n")[1].splitlines()]
        assert list(BUILTIN_PRESETS) == listed


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_read_body_answers_or_refuses(text: str) -> None:
    """Any pasted text is read or refused with a usage error; nothing else escapes."""
    from resilience_kit._cli._pasted import read_body

    with contextlib.suppress(UsageError):
        read_body(text)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.text(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=20,
        ).map(lambda value: f"Error code: 429 - {value!r}"),
    ),
    header=st.text(max_size=30),
)
def test_explain_never_prints_a_traceback(
    capsys: pytest.CaptureFixture[str], body: str, header: str
) -> None:
    """Whatever the body and header value: an answer (exit 0) or one line on stderr (exit 2);
    a body with a ``{`` is never taken as plain text."""
    code, out, err = _run(
        capsys,
        "explain",
        "--status",
        "429",
        "--body",
        body,
        "--header",
        f"x-note:{header}",
        "--json",
    )
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert ("", 1) == (out, len(err.splitlines()))
    else:
        form = json.loads(out)["failure"]["body_form"]
        assert form in ("json", "text", "sdk_str", "genai_str", "dict_repr")
        assert not ("{" in body and form == "text")
