"""Checked by ``mypy --strict``, never executed: the metrics and hooks API's types."""

from __future__ import annotations

from typing_extensions import assert_type

import resilience_kit as rk
from resilience_kit import metrics

snap = metrics.snapshot()
assert_type(snap, metrics.MetricsSnapshot)
assert_type(snap.function("f"), metrics.FunctionMetrics)
assert_type(snap.function("f").latency.p95, float | None)
assert_type(snap.breaker("b"), metrics.BreakerMetrics)
assert_type(snap.summary_table(), str)
assert_type(metrics.format_summary(snap), str)
assert_type(metrics.is_enabled(), bool)


def on_retry(record: rk.AttemptRecord) -> None:
    assert_type(record.wait, float)
    assert_type(record.classification, rk.Classification | None)


async def on_success(record: rk.AttemptRecord) -> None:
    assert_type(record.attempt, int)


@rk.retry("openai", on_retry=on_retry, on_success=on_success)
async def ask(prompt: str) -> str:
    return prompt


async def use() -> None:
    assert_type(await ask("hi"), str)


@rk.resilient("default", on_give_up=on_retry)
def plain(x: int) -> int:
    return x


assert_type(plain(1), int)
rk.retry(on_retry="print")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType, reportCallIssue]
metrics.snapshot("f")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
