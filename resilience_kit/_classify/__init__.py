"""Classification (L1): the model, the dispatcher, the provider maps and header parsing."""

from __future__ import annotations

from resilience_kit._classify._builder import classify_http
from resilience_kit._classify._dispatch import (
    Classification,
    ExceptionMap,
    classify,
    classify_once,
    forget,
    register_exception_map,
)
from resilience_kit._classify._headers import (
    Headers,
    RateLimitReading,
    parse_go_duration,
    parse_rfc3339_delay,
    read_rate_limits,
    snapshot,
)

__all__ = [
    "Classification",
    "Headers",
    "RateLimitReading",
    "ExceptionMap",
    "classify",
    "classify_http",
    "classify_once",
    "forget",
    "parse_go_duration",
    "parse_rfc3339_delay",
    "read_rate_limits",
    "register_exception_map",
    "snapshot",
]
