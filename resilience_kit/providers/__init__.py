"""Built-in exception maps, one module per client family. Nothing here imports an SDK eagerly."""

from __future__ import annotations

from resilience_kit._classification import register_fallback
from resilience_kit.providers import _builtins


def install() -> None:
    """Register every built-in map with the classifier (called once, on first ``classify``)."""
    register_fallback(_builtins.classify_builtin)
