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

__all__ = [
    "Classification",
    "ExceptionMap",
    "classify",
    "classify_http",
    "classify_once",
    "forget",
    "register_exception_map",
]
