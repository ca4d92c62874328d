"""RetryPolicy validation, presets, TOML loading and environment overrides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import resilience_kit as rk
from resilience_kit import ConfigurationError, ErrorCategory, RetryPolicy
from resilience_kit._retry._presets import _reset_for_tests, preset_names


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    """Each test starts with only the built-in presets."""
    yield
    _reset_for_tests()


@pytest.mark.parametrize(
    ("overrides", "field", "allowed"),
    [
        ({"max_attempts": 0}, "max_attempts", "from 1 to 1000"),
        ({"initial_wait": -1}, "initial_wait", ">= 0"),
        ({"max_wait": -0.5}, "max_wait", ">= 0"),
        ({"jitter": -1}, "jitter", ">= 0"),
        ({"exp_base": 0.5}, "exp_base", ">= 1"),
        ({"deadline": 0}, "deadline", "> 0"),
        ({"max_retry_after": -1}, "max_retry_after", ">= 0"),
        ({"retry_on": {"not_a_category"}}, "retry_on", "ErrorCategory"),
        ({"retry_on": set()}, "retry_on", "non-empty set of ErrorCategory names"),
        ({"retry_on": []}, "retry_on", "max_attempts=1"),
        ({"initial_wait": 10, "max_wait": 1}, "max_wait", "initial_wait"),
        ({"max_atempts": 3}, "max_atempts", "unknown keyword (did you mean max_attempts?)"),
    ],
)
def test_invalid_policy_fails_at_decoration(
    overrides: dict[str, object], field: str, allowed: str
) -> None:
    """Bad numbers raise ConfigurationError naming the field and the allowed range."""
    with pytest.raises(ConfigurationError) as info:
        rk.retry(**overrides)
    assert field == info.value.field
    assert allowed in str(info.value)


def test_unknown_preset_names_known_ones() -> None:
    """An unknown preset name is an error that lists the known presets."""
    with pytest.raises(ConfigurationError, match=r"unknown preset 'opneai'.*openai") as info:
        rk.retry("opneai")
    assert "preset" == info.value.field


def test_policy_and_preset_together_is_an_error() -> None:
    """Passing both a policy and a non-default preset is ambiguous and rejected."""
    with pytest.raises(ConfigurationError, match="either"):
        rk.retry("openai", policy=RetryPolicy())


def test_direct_construction_validates() -> None:
    """RetryPolicy(...) itself raises ConfigurationError, not a pydantic error."""
    with pytest.raises(ConfigurationError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_with_changes_revalidates() -> None:
    """with_changes validates (model_copy would not)."""
    policy = RetryPolicy()
    assert 3 == policy.with_changes(max_attempts=3).max_attempts
    with pytest.raises(ConfigurationError, match="max_wait"):
        policy.with_changes(max_wait=0.01, initial_wait=1)


def test_policy_is_frozen() -> None:
    """Policies cannot be changed in place."""
    policy = RetryPolicy()
    with pytest.raises(ValueError, match="frozen"):
        policy.max_attempts = 3  # type: ignore[misc]


def test_builtin_presets_exist_with_documented_numbers() -> None:
    """The five presets exist; openai uses the SDK's 0.5 s to 8 s schedule and 120 s hint cap."""
    openai = rk.get_preset("openai")
    assert (0.5, 8.0, 120.0) == (openai.initial_wait, openai.max_wait, openai.max_retry_after)
    for name in ("default", "openai", "anthropic", "gemini", "bedrock", "interactive", "batch"):
        assert isinstance(rk.get_preset(name), RetryPolicy)
    assert 10 == rk.get_preset("default").max_attempts


def test_gemini_and_bedrock_presets_follow_their_sdks() -> None:
    """gemini: google-genai's 5 attempts, 1 s doubling to 60 s; bedrock: botocore's 20 s cap."""
    gemini = rk.get_preset("gemini")
    assert (5, 1.0, 60.0, 2.0, 1.0, 60.0) == (
        gemini.max_attempts,
        gemini.initial_wait,
        gemini.max_wait,
        gemini.exp_base,
        gemini.jitter,
        gemini.max_retry_after,
    )
    bedrock = rk.get_preset("bedrock")
    assert (6, 1.0, 20.0, 20.0) == (
        bedrock.max_attempts,
        bedrock.initial_wait,
        bedrock.max_wait,
        bedrock.max_retry_after,
    )


def test_register_preset_rejects_conflicting_duplicate() -> None:
    """Re-registering the same policy is fine; a different one under the same name is an error."""
    policy = RetryPolicy(max_attempts=2)
    rk.register_preset("mine", policy)
    rk.register_preset("mine", RetryPolicy(max_attempts=2))
    assert policy == rk.get_preset("mine")
    with pytest.raises(ConfigurationError, match="already registered"):
        rk.register_preset("mine", RetryPolicy(max_attempts=3))
    with pytest.raises(ConfigurationError, match="already registered"):
        rk.register_preset("openai", RetryPolicy())
    with pytest.raises(ConfigurationError, match="preset name"):
        rk.register_preset("Bad Name", policy)


def test_environment_overrides_a_preset(monkeypatch: pytest.MonkeyPatch) -> None:
    """RESILIENCE_KIT_<PRESET>_<FIELD> variables change the preset at decoration time."""
    monkeypatch.setenv("RESILIENCE_KIT_OPENAI_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("RESILIENCE_KIT_OPENAI_RESPECT_RETRY_AFTER", "false")
    monkeypatch.setenv("RESILIENCE_KIT_OPENAI_RETRY_ON", "rate_limit, server")
    monkeypatch.setenv("RESILIENCE_KIT_OPENAI_DEADLINE", "none")
    policy = rk.get_preset("openai")
    assert 2 == policy.max_attempts
    assert not policy.respect_retry_after
    assert {ErrorCategory.RATE_LIMIT, ErrorCategory.SERVER} == policy.retry_on
    assert policy.deadline is None


def test_invalid_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad environment value fails at decoration with the variable's name."""
    monkeypatch.setenv("RESILIENCE_KIT_DEFAULT_MAX_ATTEMPTS", "zero")
    with pytest.raises(ConfigurationError) as info:
        rk.retry()
    assert "RESILIENCE_KIT_DEFAULT_MAX_ATTEMPTS" == info.value.field
    assert "'zero'" in str(info.value)


def test_empty_retry_on_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RESILIENCE_KIT_<PRESET>_RETRY_ON set to nothing is refused, not a policy retrying nothing."""
    monkeypatch.setenv("RESILIENCE_KIT_OPENAI_RETRY_ON", " , ")
    with pytest.raises(ConfigurationError, match="non-empty") as info:
        rk.retry("openai")
    assert "RESILIENCE_KIT_OPENAI_RETRY_ON" == info.value.field


@pytest.mark.parametrize("retry_on", [[], set(), ["not_a_category"], "server"])
def test_retry_if_retryable_refuses_an_empty_or_bad_retry_on(retry_on: object) -> None:
    """The tenacity predicate checks retry_on when built, as RetryPolicy does."""
    with pytest.raises(ConfigurationError, match="non-empty set of ErrorCategory") as info:
        rk.retry_if_retryable(retry_on=retry_on)  # type: ignore[arg-type]
    assert "retry_on" == info.value.field


def test_load_presets_from_toml(tmp_path: Path) -> None:
    """[presets.NAME] tables become presets; extends starts from another preset."""
    path = tmp_path / "presets.toml"
    path.write_text(
        '[presets.chat]\nextends = "interactive"\nmax_attempts = 2\n\n'
        '[presets.nightly]\nmax_attempts = 20\nmax_wait = 120\nretry_on = ["server"]\n'
    )
    assert ["chat", "nightly"] == rk.load_presets(path)
    chat = rk.get_preset("chat")
    assert (2, 10.0) == (chat.max_attempts, chat.deadline)
    assert frozenset({ErrorCategory.SERVER}) == rk.get_preset("nightly").retry_on


def test_load_presets_from_pyproject(tmp_path: Path) -> None:
    """[tool.resilience_kit.presets.NAME] tables in pyproject.toml are read too."""
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.resilience_kit.presets.slow]\njitter = 3\n')
    assert ["slow"] == rk.load_presets(path)
    assert 3.0 == rk.get_preset("slow").jitter


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[presets.bad]\nmax_attempts = 0\n", "presets.bad.max_attempts"),
        ("[presets.bad]\nextends = 'nope'\n", "presets.bad.extends"),
        ("[presets.bad]\nretry_on = []\n", "presets.bad.retry_on"),
        ("[other]\nx = 1\n", "path"),
        ("not toml [", "path"),
    ],
)
def test_load_presets_errors_name_the_place(tmp_path: Path, text: str, field: str) -> None:
    """Bad files raise ConfigurationError naming the table and field; nothing is registered."""
    path = tmp_path / "presets.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as info:
        rk.load_presets(path)
    assert field == info.value.field
    assert "bad" not in preset_names()


def test_worst_case_and_ranges() -> None:
    """backoff_range and worst_case_total follow the documented formula."""
    policy = RetryPolicy(initial_wait=1, max_wait=4, jitter=0.5, max_attempts=4, deadline=None)
    assert (1.0, 1.5) == policy.backoff_range(1)
    assert (4.0, 4.5) == policy.backoff_range(3)
    assert 1.5 + 2.5 + 4.5 == policy.worst_case_total()
    assert 3 * 30.0 == policy.worst_case_total(with_hints=True)
