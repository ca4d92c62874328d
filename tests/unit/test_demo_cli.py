"""The demo command without the SDKs installed, and its argument checks."""

from __future__ import annotations

import sys

import pytest

from resilience_kit._cli._main import main


def test_demo_without_sdks_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With openai missing, the demo exits 1 and names the extra to install."""
    monkeypatch.setitem(sys.modules, "openai", None)
    assert 1 == main(["demo"])
    assert "pip install 'llm-resilience-kit[all]'" in capsys.readouterr().err


def test_demo_rejects_a_scale_outside_0_to_1(capsys: pytest.CaptureFixture[str]) -> None:
    """--scale 2 is refused with exit code 2 before anything starts."""
    assert 2 == main(["demo", "--scale", "2"])
    assert "--scale must be between 0 and 1" in capsys.readouterr().err
