"""Every exception class the installed SDKs export has an explicit decision.

When an SDK upgrade adds an error class, these tests fail and name it: decide its category in
``resilience_kit/_classify/_openai.py``, ``_anthropic_table.py``, ``_google.py`` or ``_bedrock.py``
(and the README table). The google-genai and botocore tests also check Bedrock Runtime's service
model (error shapes and stream exception events) and the SDK retry defaults the presets copy.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect

import anthropic
import anthropic._error_classes
import botocore.exceptions
import botocore.retries.standard
import botocore.session
import openai
import pytest
from google.genai import _api_client as genai_api_client
from google.genai import errors as genai_errors

from resilience_kit import ErrorCategory, classify, get_preset
from resilience_kit._classify import _anthropic_table, _bedrock, _google, _openai
from resilience_kit._classify._common import (
    BY_BODY,
    BY_CAUSE,
    BY_STATUS,
    NoRetry,
    category_for_status,
)
from tests.unit.sdk_errors import ANTHROPIC_CLIENT, ANTHROPIC_URL, exported_exceptions, response

DECISION_VALUES = {BY_STATUS, BY_BODY, BY_CAUSE, *ErrorCategory}


OPENAI_CLASSES = exported_exceptions(openai, list(_openai.ERROR_MODULES))
ANTHROPIC_CLASSES = exported_exceptions(anthropic, list(_anthropic_table.ERROR_MODULES))


@pytest.mark.parametrize(
    ("classes", "table"),
    [(OPENAI_CLASSES, _openai.DECISIONS), (ANTHROPIC_CLASSES, _anthropic_table.DECISIONS)],
    ids=["openai", "anthropic"],
)
def test_every_sdk_exception_has_a_decision(
    classes: dict[str, type], table: dict[str, object]
) -> None:
    """No exported exception class is left to chance; missing ones are listed by name."""
    missing = sorted(set(classes) - set(table))
    assert [] == missing


@pytest.mark.parametrize(
    ("classes", "table"),
    [(OPENAI_CLASSES, _openai.DECISIONS), (ANTHROPIC_CLASSES, _anthropic_table.DECISIONS)],
    ids=["openai", "anthropic"],
)
def test_no_stale_decisions(classes: dict[str, type], table: dict[str, object]) -> None:
    """Every table entry names a class the installed SDK still has, with a valid decision."""
    assert [] == sorted(set(table) - set(classes))
    assert [] == sorted(
        name
        for name, value in table.items()
        if not (value in DECISION_VALUES or isinstance(value, NoRetry))
    )


def test_enumeration_found_the_known_classes() -> None:
    """The enumeration itself works: it sees the classes DESIGN.md names."""
    assert {"RateLimitError", "APIError", "APITimeoutError", "OAuthError"} <= set(OPENAI_CLASSES)
    assert {
        "OverloadedError",
        "EnforcedSpendLimitReachedError",
        "RampLimitExceededError",
        "RetryableError",
    } <= set(ANTHROPIC_CLASSES)
    assert 20 <= len(OPENAI_CLASSES)
    assert 100 <= len(ANTHROPIC_CLASSES)


@pytest.mark.parametrize(
    ("status", "code"),
    sorted(anthropic._error_classes.ERROR_CLASSES, key=lambda key: (key[0], key[1] or "")),
)
def test_every_anthropic_dispatch_entry(status: int, code: str | None) -> None:
    """Each (status, error_code) the SDK dispatches on classifies to its table's decision."""
    error: dict[str, object] = {"type": "api_error", "message": "m"}
    if code is not None:
        error["details"] = {"error_code": code}
    exc = ANTHROPIC_CLIENT._make_status_error_from_response(
        response(status, {"type": "error", "error": error}, url=ANTHROPIC_URL)
    )
    assert anthropic._error_classes.ERROR_CLASSES[(status, code)] is type(exc)
    decision = _anthropic_table.DECISIONS[type(exc).__name__]
    expected = category_for_status(status) if decision == BY_STATUS else decision
    retryable = None
    if isinstance(expected, NoRetry):
        expected, retryable = expected.category, False
    assert isinstance(expected, ErrorCategory)
    result = classify(exc)
    assert expected == result.category
    assert (expected.retryable if retryable is None else retryable) == result.retryable
    assert status == result.status_code
    assert (code or "api_error") == result.error_code
    assert "anthropic" == result.provider


# -- google-genai and botocore ----------------------------------------------------------------


def _installed(module_names: tuple[str, ...]) -> tuple[str, ...]:
    """The modules of *module_names* the installed SDK has (google-genai 2.x, the newest release
    for Python 3.10, has no ``_interactions_continuation``)."""
    return tuple(name for name in module_names if importlib.util.find_spec(name) is not None)


def _classes_in(module_names: tuple[str, ...]) -> dict[str, type]:
    """Exception classes defined in *module_names* (not imported into them)."""
    found: dict[str, type] = {}
    for name in _installed(module_names):
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
            ):
                found[value.__name__] = value
    return found


GENAI_CLASSES = _classes_in(_google.ERROR_MODULES)
BOTOCORE_CLASSES = _classes_in(_bedrock.ERROR_MODULES)


@pytest.mark.parametrize(
    ("classes", "table", "modules"),
    [
        (GENAI_CLASSES, _google.DECISIONS, _google.ERROR_MODULES),
        (BOTOCORE_CLASSES, _bedrock.DECISIONS, _bedrock.ERROR_MODULES),
    ],
    ids=["google-genai", "botocore"],
)
def test_every_genai_and_botocore_exception_has_a_decision(
    classes: dict[str, type], table: dict[str, object], modules: tuple[str, ...]
) -> None:
    """Every exception class of google.genai's error modules and botocore.exceptions is decided."""
    assert [] == sorted(set(classes) - set(table))
    if _installed(modules) == modules:  # an older SDK lacks some classes the table knows
        assert [] == sorted(set(table) - set(classes))
    assert [] == sorted(name for name, value in table.items() if value not in DECISION_VALUES)


def test_genai_api_error_subclasses_are_known() -> None:
    """Every subclass of google.genai's APIError loaded anywhere is in the table."""
    pending: list[type] = [genai_errors.APIError]
    seen: set[str] = set()
    while pending:
        klass = pending.pop()
        if klass.__module__.startswith("google.genai"):
            seen.add(klass.__name__)
        pending.extend(klass.__subclasses__())
    assert [] == sorted(seen - set(_google.DECISIONS))
    assert {"APIError", "ClientError", "ServerError"} <= seen


def _bedrock_error_shapes() -> dict[str, int]:
    """Error shape name -> HTTP status, from bedrock-runtime's service model in botocore."""
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    return {shape.name: shape.metadata["error"]["httpStatusCode"] for shape in model.error_shapes}


def test_every_bedrock_runtime_error_shape_has_a_code_decision() -> None:
    """Each error shape of the installed service model has a category in ``_bedrock.CODES``."""
    shapes = _bedrock_error_shapes()
    assert 12 <= len(shapes)
    assert [] == sorted(set(shapes) - set(_bedrock.CODES))


@pytest.mark.parametrize("shape", sorted(_bedrock_error_shapes()))
def test_bedrock_error_shape_classifies_as_its_code(shape: str) -> None:
    """A modeled error built with its documented status classifies by its code."""
    status = _bedrock_error_shapes()[shape]
    response = {
        "Error": {"Code": shape, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "r", "HTTPHeaders": {}},
    }
    exc = botocore.exceptions.ClientError(response, "InvokeModel")  # type: ignore[arg-type]
    result = classify(exc)
    assert _bedrock.CODES[shape] == result.category
    assert (status, shape, "r") == (result.status_code, result.error_code, result.request_id)


def test_bedrock_stream_event_exceptions_have_decisions() -> None:
    """Each exception member of the ConverseStream and InvokeModel stream unions is decided."""
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    members: set[str] = set()
    for union in ("ConverseStreamOutput", "ResponseStream"):
        for name, shape in model.shape_for(union).members.items():
            if shape.metadata.get("exception"):
                members.add(name[:1].upper() + name[1:])
    assert {"ThrottlingException", "ModelStreamErrorException"} <= members
    assert [] == sorted(members - set(_bedrock.CODES))


def test_gemini_preset_matches_google_genai_retry_defaults() -> None:
    """The gemini preset's schedule is google-genai's own HttpRetryOptions defaults."""
    policy = get_preset("gemini")
    assert genai_api_client._RETRY_ATTEMPTS == policy.max_attempts
    assert genai_api_client._RETRY_INITIAL_DELAY == policy.initial_wait
    assert genai_api_client._RETRY_MAX_DELAY == policy.max_wait
    assert genai_api_client._RETRY_EXP_BASE == policy.exp_base
    assert genai_api_client._RETRY_JITTER == policy.jitter
    retried = {category_for_status(code) for code in genai_api_client._RETRY_HTTP_STATUS_CODES}
    assert all(category.retryable for category in retried)


def test_bedrock_preset_matches_botocore_backoff_cap() -> None:
    """The bedrock preset's cap is botocore's standard-mode backoff cap, from 1 s (throttling)."""
    policy = get_preset("bedrock")
    backoff = botocore.retries.standard.ExponentialBackoff
    assert backoff._MAX_BACKOFF == policy.max_wait
    assert backoff._DEFAULT_BACKOFF_CONFIG["throttling_base_scale"] == policy.initial_wait
    throttled = botocore.retries.standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    assert {"ThrottlingException", "Throttling"} <= set(throttled)
