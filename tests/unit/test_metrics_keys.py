"""Metrics rows are keyed by module and qualname (or a user ``name=``), shown short."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import resilience_kit as rk
from resilience_kit import metrics
from tests.unit.twin_asks import an, oa


@pytest.fixture(autouse=True)
def _clean_metrics() -> Iterator[None]:
    metrics.reset()
    metrics.enable()
    yield
    metrics.reset()


def test_two_asks_in_two_modules_are_two_rows() -> None:
    """oa.ask called twice and an.ask once: two rows with their own counts."""
    ask_oa, ask_an = oa.build(), an.build()
    ask_oa("a")
    ask_oa("b")
    ask_an("c")
    snap = metrics.snapshot()
    keys = sorted(snap.functions)
    assert [
        "tests.unit.twin_asks.an.build.<locals>.ask",
        "tests.unit.twin_asks.oa.build.<locals>.ask",
    ] == keys
    assert 2 == snap.function("tests.unit.twin_asks.oa.build.<locals>.ask").calls
    assert 1 == snap.function("an.build.<locals>.ask").calls


def test_a_shared_short_name_is_ambiguous_and_the_table_says_which() -> None:
    """Looking up the bare shared name fails; the table shows the shortest unique tails."""
    oa.build()("a")
    an.build()("b")
    snap = metrics.snapshot()
    with pytest.raises(KeyError, match="ambiguous"):
        snap.function("ask")
    table = snap.summary_table()
    assert "oa.build.<locals>.ask" in table
    assert "an.build.<locals>.ask" in table


def test_a_unique_function_is_shown_by_its_short_name() -> None:
    """One function: the table row is its bare name, the lookup by bare name works."""

    @rk.retry
    def summarize(text: str) -> str:
        return text

    summarize("x")
    snap = metrics.snapshot()
    assert {f"{__name__}.{summarize.__qualname__}": "summarize"} == snap.short_names()
    assert 1 == snap.function("summarize").calls
    assert snap.summary_table().splitlines()[2].startswith("summarize ")


def test_a_user_name_keys_the_row() -> None:
    """retry(name=...) and resilient(name=...) name the row."""

    @rk.retry(name="llm.openai.ask")
    def one(prompt: str) -> str:
        return prompt

    @rk.resilient(name="llm.claude.ask")
    def two(prompt: str) -> str:
        return prompt

    one("x")
    two("y")
    two("z")
    snap = metrics.snapshot()
    assert ["llm.claude.ask", "llm.openai.ask"] == sorted(snap.functions)
    assert 2 == snap.function("claude.ask").calls


def test_a_blank_name_is_a_configuration_error() -> None:
    """name='' fails at decoration time, naming the field."""
    with pytest.raises(rk.ConfigurationError, match="name"):
        rk.retry(name="")


def test_two_asks_are_two_prometheus_series() -> None:
    """Each module's ask gets its own function label in the exposition."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    metrics.register_prometheus(registry)
    ask_oa, ask_an = oa.build(), an.build()
    ask_oa("a")
    ask_oa("b")
    ask_an("c")
    text = generate_latest(registry).decode()
    assert (
        'resilience_kit_calls_total{function="tests.unit.twin_asks.oa.build.<locals>.ask"} 2.0'
        in text
    )
    assert (
        'resilience_kit_calls_total{function="tests.unit.twin_asks.an.build.<locals>.ask"} 1.0'
        in text
    )
