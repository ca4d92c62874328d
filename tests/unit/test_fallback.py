"""fallback(): alternatives in order, a default, and the answering fallback logged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from resilience_kit import ConfigurationError, ErrorCategory, fallback
from tests.unit.throughput_helpers import FakeAPIError, fake_errors


@pytest.fixture(autouse=True)
def _fakes() -> Iterator[None]:
    with fake_errors():
        yield


def _raiser(category: ErrorCategory) -> FakeAPIError:
    return FakeAPIError(category)


def test_bigger_model_answers_on_context_length() -> None:
    """On CONTEXT_LENGTH the next model answers and the event names it."""

    def big_model(prompt: str) -> str:
        return f"big:{prompt}"

    @fallback(big_model, on={ErrorCategory.CONTEXT_LENGTH})
    def small_model(prompt: str) -> str:
        raise _raiser(ErrorCategory.CONTEXT_LENGTH)

    with capture_logs() as logs:
        assert "big:hi" == small_model("hi")
    used = [e for e in logs if e["event"] == "fallback_used"]
    assert 1 == len(used)
    assert "big_model" in used[0]["fallback"]
    assert "context_length" == used[0]["category"]


def test_category_outside_on_propagates() -> None:
    """A failure not listed in ``on`` is raised without trying alternatives."""
    tried: list[str] = []

    def other() -> str:
        tried.append("other")
        return "x"

    @fallback(other, on={ErrorCategory.QUOTA})
    def primary() -> str:
        raise _raiser(ErrorCategory.AUTH)

    with pytest.raises(FakeAPIError):
        primary()
    assert [] == tried


def test_alternatives_in_order_then_default() -> None:
    """Every alternative failing in ``on`` leads to the default."""
    order: list[str] = []

    def second() -> str:
        order.append("second")
        raise _raiser(ErrorCategory.OVERLOADED)

    @fallback(second, on={ErrorCategory.QUOTA, ErrorCategory.OVERLOADED}, default="sorry")
    def first() -> str:
        order.append("first")
        raise _raiser(ErrorCategory.QUOTA)

    with capture_logs() as logs:
        assert "sorry" == first()
    assert ["first", "second"] == order
    assert ["default"] == [e["fallback"] for e in logs if e["event"] == "fallback_used"]


def test_all_failing_reraises_the_last_with_a_note() -> None:
    """Without a default the last failure is raised, noting what was tried."""

    def second() -> None:
        raise _raiser(ErrorCategory.SERVER)

    @fallback(second)
    def first() -> None:
        raise _raiser(ErrorCategory.QUOTA)

    with pytest.raises(FakeAPIError) as info:
        first()
    assert ErrorCategory.SERVER == info.value.category
    assert "first (quota)" in info.value.__notes__[-1]


def test_unknown_errors_are_not_covered_by_default() -> None:
    """By default a bug (UNKNOWN) is not hidden behind a fallback."""

    @fallback(default=0)
    def buggy() -> int:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        buggy()


async def test_async_alternatives() -> None:
    """Async functions fall back to async (or sync) alternatives."""

    async def other_provider(prompt: str) -> str:
        return f"other:{prompt}"

    @fallback(other_provider, on={ErrorCategory.QUOTA})
    async def provider(prompt: str) -> str:
        raise _raiser(ErrorCategory.QUOTA)

    @fallback(default="fine")
    async def quiet() -> str:
        raise _raiser(ErrorCategory.SERVER)

    assert "other:x" == await provider("x")
    assert "fine" == await quiet()


async def test_async_all_failing_reraises() -> None:
    """Async without a default re-raises the last failure."""

    async def second() -> None:
        raise _raiser(ErrorCategory.SERVER)

    @fallback(second)
    async def first() -> None:
        raise _raiser(ErrorCategory.QUOTA)

    with pytest.raises(FakeAPIError):
        await first()


def test_success_needs_no_fallback() -> None:
    """A working primary answers itself; no event."""

    @fallback(default="d")
    def ok() -> str:
        return "primary"

    with capture_logs() as logs:
        assert "primary" == ok()
    assert [] == logs


def test_bad_config() -> None:
    """No alternative and no default, bad ``on``, async alternative for a sync function."""

    async def alt() -> None:
        return None

    with pytest.raises(ConfigurationError) as info:
        fallback()
    assert "alternatives" == info.value.field
    with pytest.raises(ConfigurationError) as info:
        fallback(default=1, on=["quota"])  # type: ignore[list-item]
    assert "on" == info.value.field
    with pytest.raises(ConfigurationError) as info:
        fallback(1)  # type: ignore[call-overload]
    assert "alternatives" == info.value.field
    with pytest.raises(ConfigurationError) as info:

        @fallback(alt)  # type: ignore[arg-type]
        def sync() -> None:
            return None

    assert "alternatives" == info.value.field
    with pytest.raises(ConfigurationError) as info:

        @fallback(default=1)
        def stream() -> Iterator[int]:
            yield 1

    assert "fallback" == info.value.field
