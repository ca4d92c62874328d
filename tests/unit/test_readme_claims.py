"""What the README and the documentation site say about edge cases is what the code does."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tenacity

import resilience_kit as rk
from resilience_kit import ConfigurationError
from resilience_kit.testing import no_wait

ROOT = Path(__file__).resolve().parents[2]
# The claims live in the README landing page and the documentation site built from docs/.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
README = "\n\n".join(page.read_text(encoding="utf-8") for page in PAGES)
FLAT = " ".join(README.split())


def test_fallback_refuses_generators_as_the_readme_says() -> None:
    """fallback() refuses a generator, and the README no longer claims every tool takes one."""

    def stream() -> Iterator[str]:
        yield "a"

    with pytest.raises(ConfigurationError):
        rk.fallback(default=None)(stream)  # type: ignore[arg-type]
    assert "Every tool is a decorator (sync, async, generator" not in FLAT
    assert "`fallback` only sync and async functions" in FLAT


def test_tenacity_kwargs_deadline_counts_virtual_time_as_the_docs_say() -> None:
    """Under no_wait a plain-tenacity deadline ends the call as @retry's does; the docs say so."""
    policy = rk.RetryPolicy(
        max_attempts=10, initial_wait=0.3, max_wait=0.3, jitter=0.0, deadline=1.0
    )
    calls = {"tenacity": 0, "kit": 0}

    def ask(who: str) -> None:
        calls[who] += 1
        raise TimeoutError

    plain: Any = tenacity.retry(**rk.tenacity_kwargs(policy))(ask)
    kit = rk.retry(policy=policy)(ask)
    with no_wait():
        with pytest.raises(TimeoutError):
            plain("tenacity")
        with pytest.raises(TimeoutError):
            kit("kit")
    assert {"tenacity": 4, "kit": 4} == calls  # a 4th 0.3 s wait would end past 1 s
    assert "the virtual time slept counts toward it" in FLAT


def test_readme_does_not_say_the_sdks_back_off_on_every_infinite_hint() -> None:
    """Anthropic's SDK sleeps a finite hint of any size; the README says which SDK does what."""
    assert "infinite values are no hint (back off instead, as the SDKs do)" not in FLAT
    assert "though it sleeps a finite hint of any size" in FLAT


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_demo_sleeps_what_the_docs_say() -> None:
    """docs/cli.md states the demo's real sleeping: its story waits times the default scale 0.1
    (run with --scale 0, so nothing is timed here; the rest of its run time is CPU)."""
    proc = subprocess.run(
        [sys.executable, "-m", "resilience_kit", "demo", "--json", "--scale", "0"],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    )
    summary = json.loads(proc.stdout.splitlines()[-1])
    stated = re.search(r"it sleeps ([\d.]+) s in all and takes about (\d+)-(\d+) s", FLAT)
    assert stated is not None
    assert abs(float(stated[1]) - 0.1 * summary["story_seconds_waited"]) <= 0.2
