"""``@rk.retry(p)`` and ``@tenacity.retry(**rk.tenacity_kwargs(p))`` decide alike.

Over the grid the SDK oracle mirrors (every status x ``x-should-retry`` x ``retry-after`` x body,
each failure built by the real client's own dispatcher) and for every built-in preset, both
deciders make the same number of attempts and re-raise the same exception. Both see a failure
only through ``classify()``, so each distinct classification of the grid is run once (about 40
instead of 5,000 calls per preset).
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import httpx2
import pytest
import tenacity

import resilience_kit as rk
from resilience_kit.testing import NoWait
from tests.unit.sdk_errors import ANTHROPIC_CLIENT, ANTHROPIC_URL, OPENAI_CLIENT, OPENAI_URL
from tests.unit.test_sdk_oracle import (
    ANTHROPIC_BODIES,
    OPENAI_BODIES,
    RETRY_AFTER,
    SHOULD_RETRY,
    STATUSES,
)

PRESETS = ("default", "openai", "anthropic", "gemini", "bedrock", "interactive", "batch")


@functools.cache
def _distinct(provider: str) -> tuple[tuple[str, BaseException], ...]:
    """One failure of the grid per distinct classification (category, retryable, hint)."""
    seen: dict[tuple[Any, ...], tuple[str, BaseException]] = {}
    for case, exc in _failures(provider):
        found = rk.classify(exc)
        seen.setdefault((found.category, found.retryable, found.retry_after), (case, exc))
    return tuple(seen.values())


def _failures(provider: str) -> list[tuple[str, BaseException]]:
    client: Any = OPENAI_CLIENT if provider == "openai" else ANTHROPIC_CLIENT
    bodies = OPENAI_BODIES if provider == "openai" else ANTHROPIC_BODIES
    url = OPENAI_URL if provider == "openai" else ANTHROPIC_URL
    found = []
    for status, body, should_retry, retry_after in itertools.product(
        STATUSES, bodies, SHOULD_RETRY, RETRY_AFTER
    ):
        headers = {}
        if should_retry is not None:
            headers["x-should-retry"] = should_retry
        if retry_after is not None:
            headers["retry-after"] = retry_after
        response = httpx2.Response(
            status, request=httpx2.Request("POST", url), headers=headers, json=bodies[body]
        )
        case = f"{status} {body} x-should-retry={should_retry} retry-after={retry_after}"
        found.append((case, client._make_status_error_from_response(response)))
    return found


def _attempts(decorate: Any, exc: BaseException) -> tuple[int, BaseException | None]:
    made = [0]

    def call() -> None:
        made[0] += 1
        raise exc

    try:
        decorate(call)()
    except Exception as raised:
        return made[0], raised
    return made[0], None  # pragma: no cover - the call always fails


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("preset", PRESETS)
def test_retry_and_plain_tenacity_decide_alike(
    preset: Any, provider: str, rk_no_wait: NoWait
) -> None:
    """Same attempts, same exception re-raised, for every case of the SDK grid."""
    kit = rk.retry(preset)
    plain = tenacity.retry(**rk.tenacity_kwargs(preset))
    differ = []
    for case, exc in _distinct(provider):
        ours = _attempts(kit, exc)
        theirs = _attempts(plain, exc)
        if ours[0] != theirs[0] or ours[1] is not theirs[1]:
            differ.append((case, ours[0], theirs[0]))
    assert [] == differ
    assert len(_distinct(provider)) > 10


def test_a_400_marked_retryable_by_the_server_is_retried_by_both(rk_no_wait: NoWait) -> None:
    """``x-should-retry: true`` on a 400: both deciders retry (the SDKs do too)."""
    response = httpx2.Response(
        400,
        request=httpx2.Request("POST", OPENAI_URL),
        headers={"x-should-retry": "true"},
        json=OPENAI_BODIES["plain"],
    )
    exc = OPENAI_CLIENT._make_status_error_from_response(response)
    kit = _attempts(rk.retry("openai", max_attempts=2), exc)
    plain = _attempts(
        tenacity.retry(**rk.tenacity_kwargs(rk.get_preset("openai").with_changes(max_attempts=2))),
        exc,
    )
    assert (2, 2) == (kit[0], plain[0])
