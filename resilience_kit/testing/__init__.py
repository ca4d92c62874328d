"""Helpers for testing code that uses resilience-kit (public API).

The names load on first use, so the pytest plugin (``resilience_kit.testing._pytest_plugin``),
which pytest imports in every session, costs a project that never uses the kit nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from resilience_kit.testing._faults import Fault
    from resilience_kit.testing._limits import RateLimits
    from resilience_kit.testing._no_wait import NoWait, no_wait
    from resilience_kit.testing._output import OutputShare
    from resilience_kit.testing._records import RecordedRequest
    from resilience_kit.testing._server import FakeLLMServer

__all__: list[str] = [
    "FakeLLMServer",
    "Fault",
    "NoWait",
    "OutputShare",
    "RateLimits",
    "RecordedRequest",
    "no_wait",
]

_MODULES = {
    "FakeLLMServer": "_server",
    "Fault": "_faults",
    "NoWait": "_no_wait",
    "OutputShare": "_output",
    "RateLimits": "_limits",
    "RecordedRequest": "_records",
    "no_wait": "_no_wait",
}


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
