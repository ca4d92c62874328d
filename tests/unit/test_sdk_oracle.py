"""classify(...).retryable against the SDKs' own retry decision (``client._should_retry``).

For every status x ``x-should-retry`` x ``retry-after`` x body in the grid, the real client builds
the exception from the response (``_make_status_error_from_response``) and decides whether it would
retry. We must agree, except for the differences listed in ``intended_difference`` with their
reasons; a listed difference that stops being one fails too, so the list stays true.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx2
import pytest

from resilience_kit import classify
from tests.unit.sdk_errors import ANTHROPIC_CLIENT, ANTHROPIC_URL, OPENAI_CLIENT, OPENAI_URL

STATUSES = (
    400,
    401,
    402,
    403,
    404,
    408,
    409,
    412,
    413,
    422,
    429,
    431,
    499,
    500,
    501,
    502,
    503,
    504,
    529,
)
SHOULD_RETRY = (None, "true", "false", "maybe")
RETRY_AFTER = (None, "5", "600")

OPENAI_BODIES: dict[str, dict[str, Any]] = {
    "plain": {"error": {"message": "error", "type": "server_error", "code": None}},
    "rate_limit": {"error": {"message": "slow", "type": "requests", "code": "rate_limit_exceeded"}},
    "quota": {
        "error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}
    },
    "spend": {"error": {"message": "s", "type": "x", "code": "project_spend_limit_exceeded"}},
    "context": {"error": {"message": "m", "type": "x", "code": "context_length_exceeded"}},
    "content": {"error": {"message": "m", "type": "x", "code": "content_policy_violation"}},
    "overloaded": {"error": {"message": "m", "type": "x", "code": "server_is_overloaded"}},
}


def _anthropic_body(error_type: str, code: str | None = None, message: str = "m") -> dict[str, Any]:
    error: dict[str, Any] = {"type": error_type, "message": message}
    if code is not None:
        error["details"] = {"error_code": code}
    return {"type": "error", "error": error}


ANTHROPIC_BODIES: dict[str, dict[str, Any]] = {
    "plain": _anthropic_body("api_error"),
    "rate_limit": _anthropic_body("rate_limit_error"),
    "ramp": _anthropic_body("rate_limit_error", "ramp_limit_exceeded"),
    "enforced_spend": _anthropic_body("rate_limit_error", "enforced_spend_limit_reached"),
    "contract_spend": _anthropic_body("rate_limit_error", "contract_spend_limit_reached"),
    "usage_limit_400": _anthropic_body(
        "invalid_request_error", message="You have reached your specified API usage limits."
    ),
    "prompt_too_long": _anthropic_body(
        "invalid_request_error", message="prompt is too long: 9 > 8"
    ),
    "name_taken": _anthropic_body("invalid_request_error", "plugin_name_taken"),
    "key_validation_timeout": _anthropic_body(
        "invalid_request_error", "external_key_validation_timed_out"
    ),
    "overloaded": _anthropic_body("overloaded_error"),
    "storage_in_use": _anthropic_body("invalid_request_error", "storage_in_use"),
    "workspace_changed": _anthropic_body("invalid_request_error", "workspace_changed_concurrently"),
    "workspace_incomplete": _anthropic_body("api_error", "workspace_created_incomplete"),
    "change_outcome_unknown": _anthropic_body("api_error", "change_outcome_unknown"),
    "requester_unconfirmed": _anthropic_body("permission_error", "api_key_requester_unconfirmed"),
}

# Bodies that name a billing stop, a context overflow or a content refusal.
STOP_BODIES = {
    "quota",
    "spend",
    "context",
    "content",
    "enforced_spend",
    "contract_spend",
    "usage_limit_400",
    "prompt_too_long",
}


STOP_REASON = (
    "a 4xx body naming a billing stop (quota 429s, spend limits), a context overflow or a content"
    " refusal is never retried, whatever the status"
)


def sdk_status_rule(status: int) -> bool:
    """Both SDKs, without headers: retry 408, 409, 429 and every 5xx."""
    return status in {408, 409, 429} or status >= 500


def our_rule(provider: str, status: int, body: str) -> tuple[bool, str | None]:
    """Our decision without headers, and the reason when it differs from the SDKs' status rule."""
    if 400 <= status < 500 and body in STOP_BODIES:
        if sdk_status_rule(status):
            return False, STOP_REASON
        return False, None
    if status == 499:
        return True, "499: a proxy cut the request off in transit, like a dropped connection"
    if provider == "anthropic" and status == 409 and body == "name_taken":
        return False, "409 plugin_name_taken: the name stays taken, a retry cannot succeed"
    if provider == "anthropic" and status == 409 and body == "storage_in_use":
        return False, "409 storage_in_use: the API says name a different bucket"
    if provider == "anthropic" and status == 409 and body == "workspace_changed":
        return (
            False,
            "409 workspace_changed_concurrently: read first; a blind resend undoes a change",
        )
    if provider == "anthropic" and status == 503 and body == "workspace_incomplete":
        return False, "503 workspace_created_incomplete: the API says do not send the create again"
    if provider == "anthropic" and status == 400 and body == "key_validation_timeout":
        return True, "400 external_key_validation_timed_out: the API says wait, then send again"
    if provider == "anthropic" and status == 403 and body == "requester_unconfirmed":
        return True, "403 api_key_requester_unconfirmed: the API says safe to send again"
    return sdk_status_rule(status), None


def intended_difference(
    provider: str, status: int, body: str, should_retry: str | None, retry_after: str | None
) -> str | None:
    """Why we decide differently from the SDK for this case, or None when we must agree."""
    header = {"true": True, "false": False}.get(should_retry or "")
    ours, reason = our_rule(provider, status, body)
    if header is not None:
        ours, reason = header, None  # both obey x-should-retry
    if provider == "openai" and retry_after == "600":
        # openai refuses any Retry-After over 120 s, before reading x-should-retry.
        return "a long Retry-After is the retry policy's call (max_retry_after)" if ours else None
    return reason


def _cases(provider: str) -> list[tuple[int, str, str | None, str | None]]:
    bodies = OPENAI_BODIES if provider == "openai" else ANTHROPIC_BODIES
    return list(itertools.product(STATUSES, bodies, SHOULD_RETRY, RETRY_AFTER))


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("status", STATUSES)
def test_retryable_matches_sdk(provider: str, status: int) -> None:
    """Our retryable equals the SDK's retry decision, except for the documented differences."""
    client: Any = OPENAI_CLIENT if provider == "openai" else ANTHROPIC_CLIENT
    bodies = OPENAI_BODIES if provider == "openai" else ANTHROPIC_BODIES
    url = OPENAI_URL if provider == "openai" else ANTHROPIC_URL
    disagreements = []
    for body_name, should_retry, retry_after in itertools.product(
        bodies, SHOULD_RETRY, RETRY_AFTER
    ):
        headers = {}
        if should_retry is not None:
            headers["x-should-retry"] = should_retry
        if retry_after is not None:
            headers["retry-after"] = retry_after
        response = httpx2.Response(
            status, request=httpx2.Request("POST", url), headers=headers, json=bodies[body_name]
        )
        sdk = client._should_retry(response)
        ours = classify(client._make_status_error_from_response(response)).retryable
        reason = intended_difference(provider, status, body_name, should_retry, retry_after)
        if (reason is None) != (sdk == ours):
            disagreements.append((body_name, should_retry, retry_after, sdk, ours, reason))
    assert [] == disagreements


def test_grid_size() -> None:
    """The grid covers every status with every header combination and body."""
    assert 19 * 7 * 4 * 3 == len(_cases("openai"))
    assert 19 * 15 * 4 * 3 == len(_cases("anthropic"))


def test_mid_stream_error_differs_on_purpose() -> None:
    """An Anthropic error event after a 200: the SDK never retries; we call an overload retryable.

    The retry layer only retries a stream before its first item, so no output is duplicated.
    """
    response = httpx2.Response(
        200,
        request=httpx2.Request("POST", ANTHROPIC_URL),
        json=ANTHROPIC_BODIES["overloaded"],
    )
    assert ANTHROPIC_CLIENT._should_retry(response) is False
    result = classify(ANTHROPIC_CLIENT._make_status_error_from_response(response))
    assert result.retryable is True
    assert result.in_stream is True
