"""The public surface is exactly what ``__all__`` says, and each lazy name is the real object."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest

import resilience_kit

PACKAGE = Path(resilience_kit.__file__).parent
# Every facade that resolves its names on first use.
LAZY_FACADES = ("resilience_kit", "resilience_kit._classify", "resilience_kit._throughput")
_TYPE_CHECKING = {"TYPE_CHECKING", "_typing.TYPE_CHECKING"}


def _type_checking_imports(module: ModuleType) -> dict[str, tuple[str, str]]:
    """``{public name: (module, name there)}`` from the module's ``if TYPE_CHECKING:`` imports."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    found: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) in _TYPE_CHECKING:
            for child in node.body:
                if isinstance(child, ast.ImportFrom) and child.module:
                    for alias in child.names:
                        found[alias.asname or alias.name] = (child.module, alias.name)
    return found


def test_all_matches_public_names() -> None:
    """Every public attribute is in ``__all__`` and every name in ``__all__`` exists."""
    for name in resilience_kit.__all__:
        getattr(resilience_kit, name)
    public = {
        name
        for name, value in vars(resilience_kit).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }
    assert set(resilience_kit.__all__) == public


# What users stack on functions, catch and annotate with (DESIGN.md's list, plus the types its
# functions return or take: Preset, RetryingCallable, RetryOverrides, AttemptRecord,
# BreakerOptions, BreakerSnapshot, CountWindow, TimeWindow, Bulkhead, Resilient, BatchFailure,
# ExceptionMap).
SURFACE = {
    "stack": [
        "AdaptiveLimiter", "CircuitBreaker", "RateLimitGate", "RetryBudget", "TokenLimiter",
        "bulkhead", "circuit_breaker", "fallback", "resilient", "retry", "timeout",
        "CountWindow", "TimeWindow", "RetryPolicy", "get_preset", "load_presets",
        "register_preset", "retry_if_retryable", "tenacity_kwargs", "wait_retry_after",
        "observe", "run_batch", "arun_batch", "classify", "classify_http",
        "register_exception_map", "Continuation", "OpenAIBackground", "AnthropicPrefill",
    ],
    "catch": [
        "BulkheadFullError", "CallTimeoutError", "CircuitOpenError", "ConfigurationError",
        "GateClosedError", "ResilienceError",
    ],
    "annotate": [
        "AttemptRecord", "BatchFailure", "BatchResult", "BreakerOptions", "BreakerSnapshot",
        "Bulkhead",
        "CircuitState", "Classification", "ErrorCategory", "ExceptionMap", "Preset",
        "Resilient", "RetryOverrides", "RetryingCallable", "StreamCut", "FollowUp",
    ],
}  # fmt: skip


def test_the_surface_is_the_documented_one() -> None:
    """51 names; each public module keeps its own (metrics model types, token estimates)."""
    listed = sorted(name for names in SURFACE.values() for name in names)
    assert listed == resilience_kit.__all__
    assert 51 == len(listed)
    moved = {
        "resilience_kit.metrics": {
            "BreakerMetrics", "FunctionMetrics", "LatencyHistogram", "MetricsSnapshot"
        },
        "resilience_kit.tokens": {"Estimate", "estimate_tokens"},
    }  # fmt: skip
    for module_name, names in moved.items():
        module = importlib.import_module(module_name)
        assert names <= set(module.__all__)
        assert not names & set(dir(resilience_kit)), module_name
    for gone in ("BuiltinPreset", "PresetName", "AttemptHook"):
        assert not hasattr(resilience_kit, gone)


def test_nothing_is_exported_twice() -> None:
    """No name is public both at the top and in a public submodule other than ``exceptions``
    (where the errors are defined and documented as a tree)."""
    seen: dict[str, str] = dict.fromkeys(resilience_kit.__all__, "resilience_kit")
    for module_name in ("metrics", "storage", "testing", "tokens"):
        module = importlib.import_module(f"resilience_kit.{module_name}")
        for name in module.__all__:
            assert name not in seen, f"{name}: {seen[name]} and resilience_kit.{module_name}"
            seen[name] = module_name


def test_all_is_sorted() -> None:
    """``__all__`` is sorted so additions are easy to review."""
    assert sorted(resilience_kit.__all__) == resilience_kit.__all__


@pytest.mark.parametrize("facade", LAZY_FACADES)
def test_lazy_names_are_the_ones_type_checkers_see(facade: str) -> None:
    """Each name resolved on first use is the object the ``TYPE_CHECKING`` import names."""
    module = importlib.import_module(facade)
    declared = _type_checking_imports(module)
    for name in module.__all__:
        value = getattr(module, name)
        if name in declared:
            source, original = declared[name]
            imported = importlib.import_module(source)
            expected = getattr(imported, original, None)
            if expected is None:  # `from package import submodule`
                expected = importlib.import_module(f"{source}.{original}")
            assert value is expected, name
    assert set(module.__all__) <= set(dir(module))


def test_unknown_names_raise_attribute_error() -> None:
    """A misspelt name is an AttributeError naming it, as for any module."""
    with pytest.raises(AttributeError, match="'resilience_kit' has no attribute 'retyr'"):
        resilience_kit.retyr  # type: ignore[attr-defined]  # noqa: B018
    assert isinstance(resilience_kit.__version__, str)
    assert isinstance(resilience_kit.metrics, ModuleType)
