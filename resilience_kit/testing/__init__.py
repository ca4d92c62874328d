"""Helpers for testing code that uses resilience-kit (public API)."""

from __future__ import annotations

from resilience_kit.testing._no_wait import NoWait, no_wait

__all__: list[str] = ["NoWait", "no_wait"]
