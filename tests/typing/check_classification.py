"""Checked by ``mypy --strict``, never executed: the classification API's types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typing_extensions import assert_type

import resilience_kit as rk

c = rk.classify(ValueError("x"))
assert_type(c, rk.Classification)
assert_type(c.category, rk.ErrorCategory)
assert_type(c.retry_after, float | None)
rk.classify("not an exception")  # type: ignore[arg-type]

undo = rk.register_exception_map({ValueError: rk.ErrorCategory.BAD_REQUEST}, name="typing-dict")
assert_type(undo, Callable[[], None])


def _mapper(exc: BaseException) -> rk.ErrorCategory | None:
    return rk.ErrorCategory.SERVER if isinstance(exc, KeyError) else None


rk.register_exception_map(_mapper, name="typing-callable")
rk.register_exception_map({ValueError: "server"}, name="typing-bad")  # type: ignore[dict-item]
rk.register_exception_map(_mapper)  # type: ignore[call-arg]
assert_type(c.to_dict(), dict[str, Any])

built = rk.classify_http(429, headers={"retry-after": "1"}, body={"error": {}}, provider="mine")
assert_type(built, rk.Classification)
rk.classify_http(None, body=b"{}", in_stream=True)
rk.classify_http("429")  # type: ignore[arg-type]
rk.classify_http(429, {"retry-after": "1"})  # type: ignore[call-arg]


def _http_mapper(exc: BaseException) -> rk.Classification | None:
    status = getattr(exc, "status", None)
    return rk.classify_http(status) if isinstance(status, int) else None


rk.register_exception_map(_http_mapper, name="typing-http")
