"""``resilience_kit.storage`` loads redis only when RedisStorage is asked for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import resilience_kit.storage

ROOT = Path(__file__).resolve().parents[2]
_PROGRAM = """
import sys
import resilience_kit, resilience_kit.storage
before = "redis" in sys.modules
resilience_kit.storage.RedisStorage
print(before, "redis" in sys.modules)
"""


def test_redis_is_imported_on_first_use_only() -> None:
    """Importing the kit and its storage module leaves redis unloaded until RedisStorage."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and program
        [sys.executable, "-c", _PROGRAM], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "False True" == completed.stdout.strip()


def test_unknown_attribute_raises_attribute_error() -> None:
    """Other missing names fail as usual."""
    with pytest.raises(AttributeError, match="NoSuchStorage"):
        resilience_kit.storage.NoSuchStorage  # noqa: B018
