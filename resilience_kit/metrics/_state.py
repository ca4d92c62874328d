"""The metrics switches every recorder reads on its hot path: enabled, and the exporters' sinks."""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["ENV_VAR", "STATE", "CallSink"]

ENV_VAR = "RESILIENCE_KIT_METRICS"
_OFF_VALUES = frozenset({"0", "off", "false", "no", "disabled"})

CallSink = Callable[[str, float, bool, int], None]
"""Called with (function, latency seconds, succeeded, weight) per finished call (exporters);
the retry layer records every call, so weight is 1."""


class _State:
    """Process-wide switches read on the hot path (attribute reads, no locking)."""

    __slots__ = ("enabled", "sinks")

    def __init__(self) -> None:
        self.enabled = os.environ.get(ENV_VAR, "on").strip().lower() not in _OFF_VALUES
        self.sinks: tuple[CallSink, ...] = ()


STATE = _State()
