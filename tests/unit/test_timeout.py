"""timeout(): async calls are cancelled; sync functions are refused at decoration."""

from __future__ import annotations

import asyncio

import pytest

from resilience_kit import CallTimeoutError, ConfigurationError, ErrorCategory, classify, timeout


async def test_slow_call_raises_call_timeout() -> None:
    """A call longer than the limit raises CallTimeoutError, classified TIMEOUT."""

    @timeout(0.01)
    async def slow() -> str:
        await asyncio.sleep(5)
        return "late"

    with pytest.raises(CallTimeoutError) as info:
        await slow()
    assert ErrorCategory.TIMEOUT == classify(info.value).category
    assert 0.01 == info.value.seconds
    assert "slow" in info.value.function


async def test_fast_call_returns() -> None:
    """A call within the limit returns its value."""

    @timeout(5)
    async def fast(x: int) -> int:
        return x + 1

    assert 2 == await fast(1)


async def test_functions_own_timeout_passes_through() -> None:
    """A TimeoutError raised by the function itself is not relabelled."""
    inner = TimeoutError("client read timeout")

    @timeout(5)
    async def call() -> None:
        raise inner

    with pytest.raises(TimeoutError) as info:
        await call()
    assert inner is info.value


def test_sync_function_is_refused_naming_the_client_timeout() -> None:
    """Decorating a sync function fails at once and points to the client's timeout."""
    with pytest.raises(ConfigurationError) as info:

        @timeout(5)  # type: ignore[arg-type]
        def call() -> None:
            pass

    assert "timeout" == info.value.field
    assert "OpenAI(timeout=" in str(info.value)


@pytest.mark.parametrize("seconds", [0, -1, float("nan")])
def test_bad_seconds(seconds: float) -> None:
    """Non-positive limits are configuration errors."""
    with pytest.raises(ConfigurationError) as info:
        timeout(seconds)
    assert "seconds" == info.value.field
