"""tenacity keyword arguments for people who keep writing ``@tenacity.retry(...)`` themselves.

``@tenacity.retry(**resilience_kit.tenacity_kwargs("openai"))`` gives plain tenacity the very
strategies ``@retry`` runs (see ``_strategies``), so both decide alike. What plain tenacity does
not get: the kit's events, hooks, metrics and budget, and the deadline reads tenacity's own real
clock (``no_wait()`` virtual time does not count toward it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal, TypedDict, overload

from tenacity.retry import retry_base
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from resilience_kit import _clock
from resilience_kit._retry._presets import Preset, get_preset, policy_type
from resilience_kit._retry._strategies import strategies_for
from resilience_kit.exceptions import ConfigurationError

if TYPE_CHECKING:
    from resilience_kit._retry._policy import RetryPolicy

__all__ = ["AsyncTenacityKwargs", "TenacityKwargs", "tenacity_kwargs"]


class TenacityKwargs(TypedDict):
    """``tenacity.retry(**kwargs)`` for sync functions: typed, so the decorator keeps signatures."""

    retry: retry_base
    wait: wait_base
    stop: stop_base
    sleep: Callable[[float], None]
    reraise: bool


class AsyncTenacityKwargs(TypedDict):
    """``tenacity.retry(**kwargs)`` / ``AsyncRetrying(**kwargs)`` for ``async def`` functions."""

    retry: retry_base
    wait: wait_base
    stop: stop_base
    sleep: Callable[[float], Awaitable[None]]
    reraise: bool


@overload
def tenacity_kwargs(
    preset: Preset | RetryPolicy = ..., *, asynchronous: Literal[False] = ...
) -> TenacityKwargs: ...
@overload
def tenacity_kwargs(
    preset: Preset | RetryPolicy = ..., *, asynchronous: Literal[True]
) -> AsyncTenacityKwargs: ...
def tenacity_kwargs(
    preset: Preset | RetryPolicy = "default", *, asynchronous: bool = False
) -> TenacityKwargs | AsyncTenacityKwargs:
    """Keyword arguments for ``tenacity.retry``/``Retrying`` implementing *preset*.

    Uses the kit's sleep (so ``testing.no_wait()`` applies; pass ``asynchronous=True`` for
    ``async def`` functions and ``AsyncRetrying``) and re-raises the original exception.
    """
    policy = get_preset(preset) if isinstance(preset, str) else preset
    if not isinstance(policy, policy_type()):
        raise ConfigurationError(
            "preset", f"must be a preset name or a RetryPolicy, got {type(preset).__name__}"
        )
    retry, wait, stop = strategies_for(policy)
    if asynchronous:
        return AsyncTenacityKwargs(
            retry=retry, wait=wait, stop=stop, sleep=_clock.async_sleep, reraise=True
        )
    return TenacityKwargs(retry=retry, wait=wait, stop=stop, sleep=_clock.sleep, reraise=True)
