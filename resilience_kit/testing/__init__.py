"""Helpers for testing code that uses resilience-kit (public API)."""

from __future__ import annotations

from resilience_kit.testing._faults import Fault
from resilience_kit.testing._limits import RateLimits
from resilience_kit.testing._no_wait import NoWait, no_wait
from resilience_kit.testing._server import FakeLLMServer, RecordedRequest

__all__: list[str] = [
    "FakeLLMServer",
    "Fault",
    "NoWait",
    "RateLimits",
    "RecordedRequest",
    "no_wait",
]
