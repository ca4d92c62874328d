"""Shared helpers for the throughput tests: fake client errors that classify as asked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from resilience_kit import Classification, ErrorCategory, register_exception_map


class FakeAPIError(Exception):
    """A client error carrying the category and server hint it should classify as."""

    def __init__(self, category: ErrorCategory, retry_after: float | None = None) -> None:
        super().__init__(f"fake {category.value}")
        self.category = category
        self.retry_after = retry_after


def _fake_map(exc: BaseException) -> Classification | None:
    if isinstance(exc, FakeAPIError):
        return Classification(
            exc.category, exc.category.retryable, retry_after=exc.retry_after, provider="fake"
        )
    return None


@contextmanager
def fake_errors() -> Iterator[None]:
    """Teach ``classify`` about :class:`FakeAPIError` for the duration."""
    unregister = register_exception_map(_fake_map, name="throughput-tests")
    try:
        yield
    finally:
        unregister()


def rate_limited(retry_after: float | None = 5.0) -> FakeAPIError:
    return FakeAPIError(ErrorCategory.RATE_LIMIT, retry_after)
