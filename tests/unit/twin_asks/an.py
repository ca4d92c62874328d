"""An application module with its own ``ask``."""

from __future__ import annotations

from collections.abc import Callable

import resilience_kit as rk


def build() -> Callable[[str], str]:
    """A fresh ``@rk.retry``-decorated ``ask`` (decorated after metrics were enabled)."""

    @rk.retry("interactive")
    def ask(prompt: str) -> str:
        return prompt

    return ask
