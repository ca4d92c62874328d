"""Checked by ``mypy --strict``, never executed: the classification API's types."""

from __future__ import annotations

from typing_extensions import assert_type

import resilience_kit as rk

c = rk.classify(ValueError("x"))
assert_type(c, rk.Classification)
assert_type(c.category, rk.ErrorCategory)
assert_type(c.retry_after, float | None)
rk.classify("not an exception")  # type: ignore[arg-type]
