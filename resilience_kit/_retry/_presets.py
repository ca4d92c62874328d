"""Named retry policies: built-ins, user registrations, TOML files and environment overrides.

``get_preset(name)`` applies ``RESILIENCE_KIT_<PRESET>_<FIELD>`` environment variables on every
lookup (i.e. at decoration time), so deployments can tune a preset without code changes.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NewType, TypeAlias

from resilience_kit.exceptions import ConfigurationError

if TYPE_CHECKING:
    from resilience_kit._retry._policy import RetryPolicy

    BUILTIN_PRESETS: dict[str, RetryPolicy]
    """The built-in presets by name (built on first access)."""

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "BUILTIN_PRESETS",
    "BuiltinPreset",
    "Preset",
    "PresetName",
    "builtin_presets",
    "get_preset",
    "load_presets",
    "policy_type",
    "preset_names",
    "register_preset",
    "validated",
]

BuiltinPreset: TypeAlias = Literal[
    "default", "openai", "anthropic", "gemini", "bedrock", "interactive", "batch"
]
"""The names of the built-in presets: a typo in a literal name is a type error."""

PresetName = NewType("PresetName", str)
"""The name of a preset registered at run time (``register_preset``, ``load_presets``).

A type checker cannot know what a program registers, and ``Literal[...] | str`` would accept
every string (typos included). So a user preset name is spelled once, as
``MINE = rk.register_preset("mine", policy)`` (``load_presets`` returns names too), and passed
around typed; the name is still checked against the registry at decoration time.
"""

Preset: TypeAlias = BuiltinPreset | PresetName
"""What ``retry``, ``resilient`` and ``tenacity_kwargs`` accept as a preset name."""

# The built-in presets, as RetryPolicy fields: the policies are built (and pydantic loaded) on first
# use.
_BUILTIN_FIELDS: dict[str, dict[str, Any]] = {
    # stamina's defaults (10 attempts, 0.1 s doubling to 5 s, +1 s jitter, 45 s overall).
    "default": {},
    # The OpenAI SDK's own schedule (0.5 s doubling to 8 s) and Retry-After cap (120 s: a longer
    # hint is refused, as the SDK does); more attempts because this is now the only retry layer.
    "openai": {
        "max_attempts": 6,
        "initial_wait": 0.5,
        "max_wait": 8.0,
        "jitter": 1.0,
        "deadline": 180.0,
        "max_retry_after": 120.0,
    },
    # The Anthropic SDK's schedule (0.5 s doubling to 8 s); more attempts for 529 overloads. The
    # SDK sleeps any Retry-After (62291 s has been seen); we refuse hints beyond one minute.
    "anthropic": {
        "max_attempts": 8,
        "initial_wait": 0.5,
        "max_wait": 8.0,
        "jitter": 1.0,
        "deadline": 180.0,
        "max_retry_after": 60.0,
    },
    # google-genai's own HttpRetryOptions defaults (5 attempts, 1 s doubling to 60 s, jitter 1 s,
    # on 408/429/5xx). The SDK ignores RetryInfo; we honour it up to one minute, the window of
    # Gemini's per-minute quotas (per-day quotas are QUOTA and never retried).
    "gemini": {
        "max_attempts": 5,
        "initial_wait": 1.0,
        "max_wait": 60.0,
        "jitter": 1.0,
        "deadline": 300.0,
        "max_retry_after": 60.0,
    },
    # botocore's standard retry mode: exponential backoff from 1 s for throttling, capped at
    # 20 s, full jitter; its x-amz-retry-after is honoured up to that cap. 6 attempts, as the
    # service model says of ModelNotReadyException ("the AWS SDK will automatically retry the
    # operation up to 5 times"); botocore itself stops at 3 attempts.
    "bedrock": {
        "max_attempts": 6,
        "initial_wait": 1.0,
        "max_wait": 20.0,
        "jitter": 1.0,
        "deadline": 180.0,
        "max_retry_after": 20.0,
    },
    # A person is waiting: few, short retries and a hard 10 s bound.
    "interactive": {
        "max_attempts": 3,
        "initial_wait": 0.25,
        "max_wait": 2.0,
        "jitter": 0.25,
        "deadline": 10.0,
        "max_retry_after": 5.0,
    },
    # Nobody is waiting: google-genai's tenacity schedule (1 s doubling to 60 s), wider jitter to
    # spread many workers, and a 30 min bound; minute-scale rate-limit hints are honoured.
    "batch": {
        "max_attempts": 12,
        "initial_wait": 1.0,
        "max_wait": 60.0,
        "jitter": 5.0,
        "deadline": 1800.0,
        "max_retry_after": 300.0,
    },
}

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_registry: dict[str, RetryPolicy] = {}
_builtins: dict[str, RetryPolicy] = {}
_lock = threading.Lock()


def _model() -> Any:
    """The pydantic model's module, imported on first use (never at ``import``)."""
    from resilience_kit._retry import _policy

    return _policy


def policy_type() -> type[RetryPolicy]:
    """The ``RetryPolicy`` class (loads pydantic on first use)."""
    found: type[RetryPolicy] = _model().RetryPolicy
    return found


def validated(base: RetryPolicy | None, changes: Mapping[str, Any]) -> RetryPolicy:
    """*base* (or the defaults) with *changes* applied and the result validated."""
    found: RetryPolicy = _model().validated_policy(base, changes)
    return found


def builtin_presets() -> dict[str, RetryPolicy]:
    """The built-in presets (built on first use)."""
    _loaded()
    return _builtins


def _loaded() -> dict[str, RetryPolicy]:
    """The registry, the built-in presets put in first on first use."""
    if not _builtins:
        made = {name: policy_type()(**fields) for name, fields in _BUILTIN_FIELDS.items()}
        with _lock:
            if not _builtins:
                _builtins.update(made)
                _registry.update(made)  # empty until now: every accessor loads first
    return _registry


if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name == "BUILTIN_PRESETS":  # the public dict, built on first use
            return builtin_presets()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def preset_names() -> list[str]:
    """Names of every registered preset, built-ins first."""
    registry = _loaded()
    with _lock:
        return list(registry)


def register_preset(name: str, policy: RetryPolicy) -> PresetName:
    """Register *policy* as *name* and return the name, typed for ``retry``/``resilient``
    (``CHAT = rk.register_preset("chat", policy)``). Registering a name again with a different
    policy is an error."""
    if not _NAME.fullmatch(str(name)):
        raise ConfigurationError(
            "name", f"preset name must match [a-z][a-z0-9_]* (max 64 chars), got {name!r}"
        )
    if not isinstance(policy, policy_type()):
        raise ConfigurationError("policy", f"must be a RetryPolicy, got {type(policy).__name__}")
    registry = _loaded()
    with _lock:
        existing = registry.get(name)
        if existing is not None and existing != policy:
            raise ConfigurationError(
                "name", f"preset {name!r} is already registered with a different policy"
            )
        registry[name] = policy
    return PresetName(name)


def get_preset(name: str) -> RetryPolicy:
    """The policy registered as *name*, with ``RESILIENCE_KIT_<NAME>_<FIELD>`` overrides applied."""
    registry = _loaded()
    with _lock:
        policy = registry.get(name)
    if policy is None:
        raise ConfigurationError(
            "preset", f"unknown preset {name!r}; known presets: {', '.join(preset_names())}"
        )
    return _apply_environment(name, policy)


def _apply_environment(name: str, policy: RetryPolicy) -> RetryPolicy:
    prefix = f"RESILIENCE_KIT_{name.upper()}_"
    fields = {field.upper(): field for field in policy_type().model_fields}
    found: dict[str, str] = {}
    for variable, value in os.environ.items():
        if not variable.startswith(prefix):
            continue
        field = fields.get(variable.removeprefix(prefix))
        if field is None:
            if _belongs_to_longer_preset(variable, name):
                continue
            # A misspelled variable (MAX_ATEMPTS) is an error, never silently ignored.
            raise ConfigurationError(
                variable,
                f"unknown retry setting for preset {name!r}; allowed: "
                + ", ".join(prefix + upper for upper in fields),
            )
        found[field] = value
    for field, raw in sorted(found.items()):
        variable = prefix + field.upper()
        try:
            policy = validated(policy, {field: _parse_env(field, raw)})
        except ConfigurationError as exc:
            raise ConfigurationError(variable, f"{exc} (value {raw!r})") from None
    return policy


def _belongs_to_longer_preset(variable: str, name: str) -> bool:
    """Whether *variable* is for another preset whose name starts with *name* + "_"."""
    registry = _loaded()
    with _lock:
        names = list(registry)
    return any(
        other.startswith(name + "_") and variable.startswith(f"RESILIENCE_KIT_{other.upper()}_")
        for other in names
    )


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _parse_env(field: str, raw: str) -> Any:
    """The text of an environment variable as the field's type (validated afterwards)."""
    text = raw.strip()
    if field == "retry_on":
        return frozenset(part.strip().lower() for part in text.split(",") if part.strip())
    if field == "deadline" and text.lower() in {"none", ""}:
        return None
    if field == "respect_retry_after":
        lowered = text.lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise ConfigurationError(field, "must be true or false (or 1/0, yes/no, on/off)")
    try:
        return int(text) if field == "max_attempts" else float(text)
    except ValueError:
        kind = "an integer" if field == "max_attempts" else "a number of seconds"
        raise ConfigurationError(field, f"must be {kind}") from None


def load_presets(path: str | os.PathLike[str]) -> list[PresetName]:
    """Register the presets in a TOML file; returns their names.

    Reads ``[presets.NAME]`` tables, or ``[tool.resilience_kit.presets.NAME]`` (pyproject.toml).
    A table may name a preset to start from with ``extends = "openai"`` (default: ``default``).
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:  # TOML is UTF-8
        raise ConfigurationError("path", f"cannot read presets from {file}: {exc}") from None
    section: Any = data.get("presets")
    where = "presets"
    if section is None:
        section = data.get("tool", {}).get("resilience_kit", {}).get("presets")
        where = "tool.resilience_kit.presets"
    if not isinstance(section, Mapping):
        raise ConfigurationError(
            "path", f"{file} has no [presets.NAME] or [tool.resilience_kit.presets.NAME] tables"
        )
    loaded: list[tuple[str, RetryPolicy]] = []
    for name, table in section.items():
        if not isinstance(table, Mapping):
            raise ConfigurationError(f"{where}.{name}", "must be a table of RetryPolicy fields")
        fields = dict(table)
        base_name = fields.pop("extends", "default")
        registry = _loaded()
        with _lock:
            base = registry.get(str(base_name))
        if base is None:
            raise ConfigurationError(f"{where}.{name}.extends", f"unknown preset {base_name!r}")
        try:
            policy = validated(base, fields)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{where}.{name}.{exc.field}", str(exc)) from None
        loaded.append((name, policy))
    for name, policy in loaded:
        register_preset(name, policy)
    return [PresetName(name) for name, _ in loaded]


def _reset_for_tests() -> None:  # pyright: ignore[reportUnusedFunction]
    """Forget every registration except the built-ins (used by the test suite)."""
    builtins = builtin_presets()
    with _lock:
        _registry.clear()
        _registry.update(builtins)
