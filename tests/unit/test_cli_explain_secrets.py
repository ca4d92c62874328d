"""`explain` prints no secret: what is pasted (body, headers, codes) is redacted on every surface.

Every output of the command is checked (the text report, ``--json``, and the one-line error on
stderr when the input is refused) for every secret shape the redaction knows.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from resilience_kit._cli._main import main
from tests.unit.secret_shapes import Draw, leak


def _outputs(*args: str) -> str:
    """Everything ``explain`` prints (stdout and stderr), whether it answers or refuses."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        contextlib.suppress(SystemExit),  # argparse refusing an option
    ):
        main(["explain", *args], prog="resilience-kit")
    return out.getvalue() + err.getvalue()


def _bodies(message: str) -> list[str]:
    """The message as a wire body, as OpenAI's JSON error and as the text a log shows."""
    wire = json.dumps({"error": {"message": message, "type": "invalid_request_error"}})
    return [wire, message, f"Error code: 401 - {{'error': {{'message': {message!r}}}}}"]


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.integers(min_value=0, max_value=2**64), st.booleans())
def test_no_pasted_secret_reaches_any_output(seed: int, as_json: bool) -> None:
    """A secret in the pasted body is gone from the text report, the JSON and any error."""
    secret, message = leak(seed)
    assume(message.count(secret) == 1)
    for body in _bodies(message):
        printed = _outputs("--status", "401", "--body", body, *(["--json"] if as_json else []))
        assert secret not in printed


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(min_value=0, max_value=2**64))
def test_no_secret_in_headers_codes_or_types_reaches_the_json(seed: int) -> None:
    """Keys in header values, --code and --type are redacted in the JSON report."""
    key = Draw(seed).known_key()
    printed = _outputs(
        "--status",
        "429",
        "--header",
        f"authorization:Bearer {key}",
        "--header",
        f"x-request-note:{key}",
        "--code",
        key,
        "--type",
        f"api_key={key}",
        "--json",
    )
    assert key not in printed
    assert "resilience-kit explain" not in printed  # an answer, not an error


@pytest.mark.parametrize(
    "secret",
    [
        "sk-proj-SUPERSECRET1234567890abcd",
        "sk-ant-api03-SUPERSECRET1234567890",
        "AIzaSyA1234567890abcdefghij",
    ],
)
def test_refused_header_value_is_redacted_in_the_error(secret: str) -> None:
    """A header value explain refuses (not printable ASCII) is quoted redacted on stderr."""
    printed = _outputs("--status", "429", "--header", f"x-api-key:{secret}\u00e9")
    assert "error" in printed
    assert secret not in printed
