"""`explain --body` on what the locked SDKs print, produced by the real clients against the fake.

Each pasted form is taken from the exception the SDK raises for a scripted fault (never written by
hand), and ``explain`` must answer as ``classify()`` answers the live exception.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from resilience_kit._cli._main import main

pytestmark = pytest.mark.integration

KEY = "sk-proj-SUPERSECRETkey1234567890abcdef"


def _report(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert 0 == main(["explain", *args, "--json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_key_in_the_pasted_body_is_redacted_in_text_and_json(
    provider: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid-key answer quoting the key: the SDK's answer is explained, the key never shown."""
    body = json.dumps(
        {"error": {"message": f"Incorrect API key provided: {KEY}.", "type": "invalid_api_key"}}
    )
    report = _report(capsys, "--provider", provider, "--status", "401", "--body", body)
    assert "auth" == report["classification"]["category"]
    assert 0 == main(["explain", "--provider", provider, "--status", "401", "--body", body])
    text = capsys.readouterr().out
    assert "classification:  auth" in text
    for printed in (json.dumps(report), text):
        assert KEY not in printed
        assert "SUPERSECRET" not in printed
