"""Command-line entry points (L4): ``python -m resilience_kit <command>``."""

from __future__ import annotations

from resilience_kit._cli._main import main

__all__ = ["main"]
