"""The public surface is exactly what ``__all__`` says."""

from __future__ import annotations

from types import ModuleType

import resilience_kit


def test_all_matches_public_names() -> None:
    """Every public attribute is in ``__all__`` and every name in ``__all__`` exists."""
    public = {
        name
        for name, value in vars(resilience_kit).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }
    assert set(resilience_kit.__all__) == public


def test_all_is_sorted() -> None:
    """``__all__`` is sorted so additions are easy to review."""
    assert sorted(resilience_kit.__all__) == resilience_kit.__all__
