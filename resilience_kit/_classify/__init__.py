"""Classification (L1): the model, the dispatcher, the provider maps and header parsing.

The dispatcher loads with the facade; ``classify_http`` and the header readers, like each provider's
map, load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resilience_kit._classify._dispatch import (
    Classification,
    ExceptionMap,
    classify,
    classify_once,
    register_exception_map,
)
from resilience_kit._lazy import attach

if TYPE_CHECKING:
    from resilience_kit._classify._bodies import BodyError, decode_json, read_literal
    from resilience_kit._classify._builder import classify_http
    from resilience_kit._classify._headers import (
        Headers,
        parse_go_duration,
        parse_http_date,
        parse_rfc3339_delay,
        parse_seconds,
        snapshot,
    )

__all__ = [
    "BodyError",
    "Classification",
    "ExceptionMap",
    "Headers",
    "classify",
    "classify_http",
    "classify_once",
    "decode_json",
    "parse_go_duration",
    "parse_http_date",
    "parse_rfc3339_delay",
    "parse_seconds",
    "read_literal",
    "register_exception_map",
    "snapshot",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "resilience_kit._classify._bodies": ("BodyError", "decode_json", "read_literal"),
            "resilience_kit._classify._builder": ("classify_http",),
            "resilience_kit._classify._headers": (
                "Headers",
                "parse_go_duration",
                "parse_http_date",
                "parse_rfc3339_delay",
                "parse_seconds",
                "snapshot",
            ),
        },
    )
