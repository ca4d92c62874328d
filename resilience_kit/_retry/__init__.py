"""Retry (L2): the decorator, its engine, policy, presets, hooks, budget and tenacity blocks."""

from __future__ import annotations

from resilience_kit._retry._budget import RetryBudget
from resilience_kit._retry._continuations import AnthropicPrefill, OpenAIBackground
from resilience_kit._retry._continue import Continuation, FollowUp, StreamCut
from resilience_kit._retry._decorator import AsyncOnlyDecorator, RetryingCallable, retry
from resilience_kit._retry._engine import WaitPlan, not_retried_because, plan_wait
from resilience_kit._retry._hooks import AttemptHook, SyncAttemptHook
from resilience_kit._retry._observers import AttemptRecord
from resilience_kit._retry._policy import RetryOverrides, RetryPolicy
from resilience_kit._retry._presets import (
    BUILTIN_PRESETS,
    BuiltinPreset,
    Preset,
    PresetName,
    get_preset,
    load_presets,
    preset_names,
    register_preset,
)
from resilience_kit._retry._tenacity import retry_if_retryable, tenacity_kwargs, wait_retry_after

__all__ = [
    "BUILTIN_PRESETS",
    "WaitPlan",
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
