"""Helpers for testing code that uses resilience-kit (public API)."""

from __future__ import annotations

__all__: list[str] = []
