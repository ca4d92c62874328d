"""Retry (L2): the decorator, its engine, policy, presets, hooks, budget and tenacity blocks.

``RetryPolicy`` and ``BUILTIN_PRESETS`` are resolved on first access: the pydantic model
(``resilience_kit._retry._policy``) is not imported by ``import resilience_kit._retry``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resilience_kit._retry import _presets
from resilience_kit._retry._budget import RetryBudget
from resilience_kit._retry._continuations import AnthropicPrefill, OpenAIBackground
from resilience_kit._retry._continue import Continuation, FollowUp, StreamCut
from resilience_kit._retry._decorator import AsyncOnlyDecorator, RetryingCallable, retry
from resilience_kit._retry._hooks import AttemptHook, SyncAttemptHook
from resilience_kit._retry._observers import AttemptRecord
from resilience_kit._retry._overrides import RetryOverrides, check_keywords
from resilience_kit._retry._presets import (
    BuiltinPreset,
    Preset,
    PresetName,
    get_preset,
    load_presets,
    preset_names,
    register_preset,
)
from resilience_kit._retry._strategies import (
    WaitPlan,
    not_retried_because,
    plan_wait,
    retry_if_retryable,
    wait_retry_after,
)
from resilience_kit._retry._tenacity import tenacity_kwargs

if TYPE_CHECKING:
    from resilience_kit._retry._policy import RetryPolicy
    from resilience_kit._retry._presets import BUILTIN_PRESETS
else:

    def __getattr__(name: str) -> Any:
        if name == "RetryPolicy":
            return _presets.policy_type()
        if name == "BUILTIN_PRESETS":
            return _presets.builtin_presets()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUILTIN_PRESETS",
    "WaitPlan",
    "check_keywords",
    "not_retried_because",
    "plan_wait",
    "AnthropicPrefill",
    "AsyncOnlyDecorator",
    "Continuation",
    "FollowUp",
    "OpenAIBackground",
    "StreamCut",
    "AttemptHook",
    "AttemptRecord",
    "BuiltinPreset",
    "Preset",
    "PresetName",
    "RetryBudget",
    "RetryOverrides",
    "RetryPolicy",
    "RetryingCallable",
    "SyncAttemptHook",
    "get_preset",
    "load_presets",
    "preset_names",
    "register_preset",
    "retry",
    "retry_if_retryable",
    "tenacity_kwargs",
    "wait_retry_after",
]
