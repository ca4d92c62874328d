"""Every exception class the installed SDKs export: would we retry it where the SDK itself would?

For each class the drift test enumerates, an instance is built the way the SDK raises it (status
classes through the client's own dispatcher, with their ``error_code``) and the kit's decision (the
default policy's: ``retryable`` and the category in ``retry_on``) is compared with the SDK's own:
anthropic's ``client._should_retry_exception``, and for openai its request loop (a status error by
``client._should_retry``, a transport failure retried, any other ``OpenAIError`` raised as is).

The check runs twice: with the decision table as it is, and once per class with that class's own
entry removed, which is what a class the next SDK release adds gets (its base class's decision, or
the status rule). Both must agree with the SDK except for the differences listed here with their
reasons; a listed difference that stops being one fails too, so the lists stay true.
"""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import openai
import pytest

from resilience_kit import RetryPolicy, classify
from resilience_kit._classify import _anthropic_table, _openai
from tests.unit.sdk_errors import (
    ANTHROPIC_CLIENT,
    ANTHROPIC_URL,
    OPENAI_CLIENT,
    OPENAI_URL,
    exported_exceptions,
    response,
)

OPENAI_CLASSES = exported_exceptions(openai, list(_openai.ERROR_MODULES))
ANTHROPIC_CLASSES = exported_exceptions(anthropic, list(_anthropic_table.ERROR_MODULES))
RETRY_ON = RetryPolicy().retry_on

BILLING = "a spend limit on 429 is a billing stop: waiting does not end it (the SDK retries it)"
CLOSED_499 = "499: a proxy cut the request off in transit, like a dropped connection"
STREAM_EVENT = (
    "a bare APIError is an error event read from a stream: retryable as its body says (unknown:"
    " server), and the retry layer only retries a stream before its first item"
)
NEVER_SUCCEEDS_409 = "409 that stays true however often it is sent: a retry cannot succeed"
OVERTAKEN_409 = (
    "409: another request changed the setting; the API says read first, then send again if you"
    " still want it, so a blind resend would undo the other change"
)

# (provider, class name) -> why the kit decides differently from the SDK, table as it is.
DIFFERENCES: dict[tuple[str, str], str] = {
    ("anthropic", "ClientClosedRequestError"): CLOSED_499,
    ("anthropic", "ContractSpendLimitReachedError"): BILLING,
    ("anthropic", "EnforcedSpendLimitReachedError"): BILLING,
    ("anthropic", "APIError"): STREAM_EVENT,
    ("anthropic", "BetaPluginNameTakenError"): NEVER_SUCCEEDS_409,
    ("anthropic", "BetaSkillNameTakenError"): NEVER_SUCCEEDS_409,
    ("anthropic", "SkillReadBlockedUndecryptableError"): NEVER_SUCCEEDS_409,
    ("anthropic", "BetaStorageInUseError"): NEVER_SUCCEEDS_409,
    ("anthropic", "BetaStorageAlreadyRegisteredError"): NEVER_SUCCEEDS_409,
    ("anthropic", "BetaGCPProjectControlledByAnotherOrganizationError"): NEVER_SUCCEEDS_409,
    ("anthropic", "BetaStorageChangedConcurrentlyError"): OVERTAKEN_409,
    ("anthropic", "BetaWorkspaceChangedConcurrentlyError"): OVERTAKEN_409,
    ("anthropic", "WorkspaceCreatedIncompleteError"): (
        "503, but the Workspace was created: the API says do not send the create again"
    ),
    ("anthropic", "ExternalKeyValidationTimedOutError"): (
        "400 whose docs say the validation did not finish in time: wait, then send again"
    ),
    ("anthropic", "APIKeyRequesterUnconfirmedError"): (
        "403 whose docs say the caller could not be confirmed this time and the same request is"
        " safe to send again"
    ),
    ("openai", "APIError"): STREAM_EVENT,
    ("openai", "WebSocketConnectionClosedError"): (
        "a closed WebSocket is a dropped connection: a new one can be opened"
    ),
    ("openai", "WebSocketQueueFullError"): "the send queue is full: send slower, then again",
}

NEW_API_ERROR = (
    "an unlisted subclass of APIError is unknown (not retried): the SDKs raise APIError itself"
    " for a stream's error event, so a new subclass is a validation-type error, not a stream event"
)

# (provider, class name) -> why a class WITHOUT its own entry (its base's decision, or the status
# rule) gets a different decision from the SDK: what a class a new SDK release adds would get.
NO_ENTRY_DIFFERENCES: dict[tuple[str, str], str] = {
    ("anthropic", "ClientClosedRequestError"): CLOSED_499,
    ("anthropic", "ContractSpendLimitReachedError"): BILLING + " (read from its error_code)",
    ("anthropic", "EnforcedSpendLimitReachedError"): BILLING + " (read from its error_code)",
    # Only a class directly under APIError with a new name reads as unknown: a new transport
    # error class would subclass APIConnectionError (and get its decision), not APIError.
    ("anthropic", "APIConnectionError"): NEW_API_ERROR,
    ("openai", "APIConnectionError"): NEW_API_ERROR,
}


def _error_body(provider: str, code: str | None) -> dict[str, Any]:
    if provider == "openai":
        return {"error": {"message": "m", "type": "api_error", "code": code, "param": None}}
    error: dict[str, Any] = {"type": "api_error", "message": "m"}
    if code is not None:
        error["details"] = {"error_code": code}
    return {"type": "error", "error": error}


def _dispatch(provider: str, status: int, code: str | None) -> BaseException:
    client: Any = OPENAI_CLIENT if provider == "openai" else ANTHROPIC_CLIENT
    url = OPENAI_URL if provider == "openai" else ANTHROPIC_URL
    exc: BaseException = client._make_status_error_from_response(
        response(status, _error_body(provider, code), url=url)
    )
    return exc


def _dispatched(provider: str) -> dict[type, tuple[int, str | None]]:
    """Each class the client's dispatcher raises, with the first (status, error_code) giving it."""
    keys: list[tuple[int, str | None]] = [(status, None) for status in range(400, 600)]
    if provider == "anthropic":
        keys += sorted(
            (key for key in anthropic._error_classes.ERROR_CLASSES if key[1] is not None),
            key=lambda key: (key[0], key[1] or ""),
        )
    found: dict[type, tuple[int, str | None]] = {}
    for status, code in keys:
        found.setdefault(type(_dispatch(provider, status, code)), (status, code))
    return found


DISPATCHED = {provider: _dispatched(provider) for provider in ("openai", "anthropic")}


def build(provider: str, cls: type[BaseException]) -> BaseException:
    """An instance of *cls* as the SDK raises it (a bare one when its constructor is unknown)."""
    sdk: Any = openai if provider == "openai" else anthropic
    url = OPENAI_URL if provider == "openai" else ANTHROPIC_URL
    if issubclass(cls, sdk.APIStatusError):
        dispatched = DISPATCHED[provider]
        if cls in dispatched:
            return _dispatch(provider, *dispatched[cls])
        # Not raised by the dispatcher (OAuthError, a future subclass): its nearest base's status.
        status = next(dispatched[base][0] for base in cls.__mro__ if base in dispatched)
        resp = response(status, _error_body(provider, None), url=url)
        return _construct(
            cls,
            [(("m",), {"response": resp, "body": None}), ((), {"response": resp, "body": None})],
        )
    request = httpx2.Request("POST", url)
    return _construct(
        cls,
        [
            ((), {"request": request}),
            (("m", request), {"body": None}),
            (("m",), {}),
            ((response(200, {}, url=url), None), {}),
            ((), {}),
        ],
    )


def _construct(
    cls: type[BaseException], attempts: list[tuple[tuple[Any, ...], dict[str, Any]]]
) -> BaseException:
    for args, kwargs in attempts:
        try:
            return cls(*args, **kwargs)
        except TypeError:  # noqa: PERF203 - trying the known signatures in turn is the point
            continue
    exc = cls.__new__(cls)  # a constructor of its own: classification only needs the type
    BaseException.__init__(exc, "m")
    return exc


def sdk_would_retry(provider: str, exc: BaseException) -> bool:
    """The SDK's own decision for *exc* raised by a request attempt."""
    client: Any = OPENAI_CLIENT if provider == "openai" else ANTHROPIC_CLIENT
    if hasattr(client, "_should_retry_exception"):  # anthropic (and openai once it has one)
        return bool(client._should_retry_exception(exc)[0])
    # openai's SyncAPIClient.request: a status error by _should_retry; a transport failure is
    # retried and then raised as APIConnectionError / APITimeoutError; any other OpenAIError is
    # raised as is, without retrying.
    if isinstance(exc, openai.APIStatusError):
        return bool(client._should_retry(exc.response))
    return isinstance(exc, openai.APIConnectionError)


def kit_would_retry(exc: BaseException) -> bool:
    """The default policy's decision: retryable, and a category ``retry_on`` holds."""
    found = classify(exc)
    return found.retryable and found.category in RETRY_ON


def _disagreements(
    provider: str, classes: dict[str, type], expected: dict[tuple[str, str], str]
) -> list[tuple[str, bool, bool, str | None]]:
    wrong = []
    for name, cls in sorted(classes.items()):
        exc = build(provider, cls)
        sdk, ours = sdk_would_retry(provider, exc), kit_would_retry(exc)
        reason = expected.get((provider, name))
        if (reason is None) != (sdk == ours):
            wrong.append((name, sdk, ours, reason))
    return wrong


CLASSES = {"openai": OPENAI_CLASSES, "anthropic": ANTHROPIC_CLASSES}
TABLES: dict[str, dict[str, Any]] = {
    "openai": _openai.DECISIONS,
    "anthropic": _anthropic_table.DECISIONS,
}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_every_class_matches_the_sdk(provider: str) -> None:
    """Every exported class: retried by us exactly when the SDK retries it, bar listed reasons."""
    assert [] == _disagreements(provider, CLASSES[provider], DIFFERENCES)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_every_class_without_its_entry_matches_the_sdk(
    provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class with no entry of its own (as a new SDK class) still gets the SDK's decision."""
    wrong = []
    for name, cls in sorted(CLASSES[provider].items()):
        with monkeypatch.context() as patch:
            patch.delitem(TABLES[provider], name, raising=False)  # undecided: as is
            wrong += _disagreements(provider, {name: cls}, NO_ENTRY_DIFFERENCES)
    assert [] == wrong


def test_instances_are_the_classes_the_sdk_raises() -> None:
    """Each built instance is of its exact class; status classes carry their status."""
    built = 0
    for provider, classes in CLASSES.items():
        sdk: Any = openai if provider == "openai" else anthropic
        for cls in classes.values():
            exc = build(provider, cls)
            assert cls is type(exc)
            if isinstance(exc, sdk.APIStatusError):
                assert 400 <= exc.status_code < 600
            built += 1
    assert len(OPENAI_CLASSES) + len(ANTHROPIC_CLASSES) == built


def test_sdk_oracle_sees_both_answers() -> None:
    """The SDK side of the oracle says yes and no (it is not a constant)."""
    for provider, classes in CLASSES.items():
        answers = {sdk_would_retry(provider, build(provider, cls)) for cls in classes.values()}
        assert {True, False} == answers


def test_listed_differences_name_existing_classes() -> None:
    """No listed difference names a class the installed SDKs no longer export."""
    listed = set(DIFFERENCES) | set(NO_ENTRY_DIFFERENCES)
    assert [] == sorted(key for key in listed if key[1] not in CLASSES[key[0]])
