"""Checked by ``mypy --strict`` and pyright (strict), never executed: what a user module writes.

Positive cases must check clean in both. Each negative case carries a coded ignore for each
checker (``# type: ignore[code]`` for mypy, ``# pyright: ignore[rule]`` for pyright); both run
with unused-ignore reporting, so a negative case that stops being an error fails the check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from typing_extensions import assert_type

import resilience_kit as rk

# --- @classmethod / @staticmethod / methods over @rk.retry ---------------------------------


class Client:
    def __init__(self, key: str) -> None:
        self.key = key

    @classmethod
    @rk.retry("openai")
    def from_env(cls, name: str) -> Client:
        return cls(name)

    @classmethod
    @rk.retry("interactive", max_attempts=2)
    async def afrom_env(cls, name: str) -> Client:
        return cls(name)

    @rk.retry("anthropic")
    def ask(self, prompt: str, *, temperature: float = 0.0) -> str:
        return prompt


assert_type(Client.from_env("K"), Client)
assert_type(Client("k").from_env("K"), Client)
assert_type(Client("k").ask("hi"), str)
assert_type(Client.ask(Client("k"), "hi"), str)
assert_type(Client.from_env.policy, rk.RetryPolicy)
assert_type(Client.from_env.retry_with(max_attempts=1)("K"), Client)
Client.from_env(3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
Client("k").ask("hi", temp=1.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


async def use_classmethod() -> None:
    assert_type(await Client.afrom_env("K"), Client)


# --- fallback defaults ---------------------------------------------------------------------


@rk.fallback(default=[])
def tags(prompt: str) -> list[str]:
    return [prompt]


@rk.fallback(default={})
def scores(prompt: str) -> dict[str, float]:
    return {prompt: 1.0}


@rk.fallback(default=None)
def maybe(prompt: str) -> str | None:
    return prompt


@rk.fallback(default=None)
def sometimes(prompt: str) -> str:
    return prompt


@rk.fallback(default=[])
async def atags(prompt: str) -> list[str]:
    return [prompt]


@rk.fallback(default=None)
async def amaybe(prompt: str) -> str | None:
    return prompt


assert_type(tags("x"), list[str])
assert_type(scores("x"), dict[str, float])
assert_type(maybe("x"), str | None)
assert_type(sometimes("x"), str | None)  # the default makes the result optional


async def use_fallback() -> None:
    assert_type(await atags("x"), list[str])
    assert_type(await amaybe("x"), str | None)


# --- RetryingCallable is a function too ----------------------------------------------------


@rk.retry("openai", max_attempts=3)
def complete(prompt: str) -> str:
    return prompt


assert_type(complete.__name__, str)
assert_type(complete.__qualname__, str)
unwrapped: Callable[[str], str] = complete.__wrapped__
assert_type(complete.policy, rk.RetryPolicy)

# The README's metrics block: rows are keyed by the decorated function's module and qualname.
row = rk.metrics.snapshot().functions.get(f"{complete.__module__}.{complete.__qualname__}")

# --- resilient() returns the retrying callable -----------------------------------------------


@rk.resilient("openai", breaker=rk.CircuitBreaker("llm"), max_attempts=4)
def ask(prompt: str) -> str:
    return prompt


@rk.resilient("anthropic", fallback=rk.fallback(default="sorry"), name="claude.ask")
async def aask(prompt: str) -> str:
    return prompt


retrying: rk.RetryingCallable[[str], str] = ask
assert_type(ask.policy, rk.RetryPolicy)
assert_type(ask.retry_with(max_attempts=1)("x"), str)
pending: Coroutine[Any, Any, str] = aask.retry_with(deadline=None)("x")


async def use_resilient() -> None:
    assert_type(await aask.retry_with(deadline=None)("x"), str)


# --- typos in overrides and preset names are errors ----------------------------------------

rk.retry("openai", max_atempts=3)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
complete.retry_with(max_atempts=2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
rk.resilient("openai", max_atempts=3)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
rk.retry("openai", max_attempts="3")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
rk.retry("opneai")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
rk.resilient("gpt")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
rk.RetryPolicy(max_atempts=3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
rk.get_preset("openai").with_changes(jiter=0.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]

# Registered presets: register_preset returns the name typed as a Preset (load_presets too); a
# plain string is not one, so a typo in a literal name stays an error.
MINE = rk.register_preset("mine", rk.RetryPolicy(max_attempts=3))
MINE_PRESET: rk.Preset = MINE


@rk.retry(MINE, max_attempts=2)
def mine(prompt: str) -> str:
    return prompt


def from_toml(path: str) -> None:
    for name in rk.load_presets(path):
        preset: rk.Preset = name
        assert_type(rk.retry(preset)(len)("abc"), int)


# Names resolved on first use are still checked: an unknown one is an error, not Any, and the
# metrics model types, token estimates and the old preset-name types are not top-level names.
_ = rk.retyr  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
_ = rk.MetricsSnapshot  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
_ = rk.estimate_tokens  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
_ = rk.PresetName  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
assert_type(rk.__version__, str)
assert_type(rk.metrics.snapshot(), rk.metrics.MetricsSnapshot)


def chosen_at_run_time(name: str) -> None:
    rk.retry(name)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    rk.retry(policy=rk.get_preset(name))


# --- hooks: an async hook needs a coroutine function ---------------------------------------


def log_retry(record: rk.AttemptRecord) -> None:
    return None


async def alert(record: rk.AttemptRecord) -> None:
    return None


@rk.retry("openai", on_retry=log_retry, on_give_up=log_retry)
def sync_hooked(prompt: str) -> str:
    return prompt


@rk.retry("openai", on_retry=alert, on_success=log_retry)
async def async_hooked(prompt: str) -> str:
    return prompt


@rk.resilient("openai", on_give_up=alert)
async def async_resilient(prompt: str) -> str:
    return prompt


async def use_hooks() -> None:
    assert_type(await async_hooked("x"), str)
    assert_type(await async_resilient("x"), str)
    assert_type(sync_hooked("x"), str)


@rk.retry("openai", on_retry=alert)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
def async_hook_on_sync(prompt: str) -> str:
    return prompt


@rk.resilient(on_give_up=alert)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
def async_hook_on_sync_resilient(prompt: str) -> str:
    return prompt


@rk.retry("openai", on_success=alert)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
async def async_hook_on_async_generator(prompt: str) -> AsyncIterator[str]:
    yield prompt
