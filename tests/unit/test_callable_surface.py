"""What type checkers are promised about decorated functions holds at run time too."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest

import resilience_kit as rk
from resilience_kit._retry import _presets
from resilience_kit.testing import no_wait
from tests.unit.throughput_helpers import FakeAPIError, fake_errors, rate_limited


@pytest.fixture(autouse=True)
def _fakes() -> Iterator[None]:
    with fake_errors():
        yield
    _presets._reset_for_tests()


class Client:
    made = 0

    @classmethod
    @rk.retry("interactive", max_attempts=3)
    def from_env(cls, key: str) -> Client:
        cls.made += 1
        if cls.made == 1:
            raise rate_limited(0.01)
        return cls()


def test_classmethod_over_retry_binds_cls_and_retries() -> None:
    """Client.from_env(key): cls is bound, the first 429 is retried, the second try returns."""
    with no_wait():
        made = Client.from_env("k")
    assert isinstance(made, Client)
    assert 2 == Client.made


def test_retrying_callable_has_name_qualname_and_wrapped_even_with_async_hooks() -> None:
    """__name__/__qualname__ are the function's; __wrapped__ is the function itself."""

    async def hook(record: rk.AttemptRecord) -> None:
        return None

    async def ask(prompt: str) -> str:
        return prompt

    for decorated in (rk.retry(ask), rk.retry(on_retry=hook)(ask), rk.resilient()(ask)):
        assert "ask" == decorated.__name__
        assert ask.__qualname__ == decorated.__qualname__
        assert ask is decorated.__wrapped__
        assert inspect.iscoroutinefunction(decorated)


@pytest.mark.parametrize("with_fallback", [True, False])
def test_resilient_result_has_policy_and_retry_with_that_keeps_every_layer(
    *, with_fallback: bool
) -> None:
    """resilient(...) exposes .policy; .retry_with rebuilds retry inside the same fallback."""
    calls = 0
    extra = {"fallback": rk.fallback(default="fallback")} if with_fallback else {}

    @rk.resilient("default", max_attempts=4, **extra)
    def ask(prompt: str) -> str:
        nonlocal calls
        calls += 1
        raise FakeAPIError(rk.ErrorCategory.SERVER)

    assert 4 == ask.policy.max_attempts
    once = ask.retry_with(max_attempts=1)
    assert 1 == once.policy.max_attempts
    assert 1 == once.retry_with(max_attempts=1).policy.max_attempts
    assert 4 == ask.policy.max_attempts
    with no_wait():
        if with_fallback:
            assert "fallback" == once("x")
        else:
            with pytest.raises(FakeAPIError):
                once("x")
    assert 1 == calls
    with no_wait():
        if with_fallback:
            assert "fallback" == ask("x")
        else:
            with pytest.raises(FakeAPIError):
                ask("x")
    assert 5 == calls
    assert 4 == ask.statistics["attempt_number"]


def test_builtin_preset_literal_lists_every_builtin() -> None:
    """The Literal of built-in preset names and the built-in registry name the same presets."""
    assert tuple(_presets.BUILTIN_PRESETS) == get_args(_presets.BuiltinPreset)


def test_load_presets_returns_preset_names_usable_by_retry(tmp_path: Path) -> None:
    """load_presets and register_preset return preset names; retry accepts them."""
    path = tmp_path / "presets.toml"
    path.write_text('[presets.nightly]\nextends = "batch"\nmax_attempts = 2\n', encoding="utf-8")
    names = rk.load_presets(path)
    assert ["nightly"] == names
    decorated = rk.retry(names[0])(len)
    assert 2 == decorated.policy.max_attempts
    policy = rk.get_preset("nightly")
    assert "nightly" == rk.register_preset("nightly", policy)
    assert 2 == rk.retry(rk.register_preset("nightly", policy))(len).policy.max_attempts
