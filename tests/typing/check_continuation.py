"""Checked by ``mypy --strict`` and pyright, never executed: continued streams keep signatures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from typing_extensions import assert_type

import resilience_kit as rk


@rk.retry("openai", continuation=rk.OpenAIBackground())
def events(
    prompt: str, *, response_id: str | None = None, starting_after: int | None = None
) -> Iterator[dict[str, Any]]:
    yield {"prompt": prompt}


@rk.resilient("anthropic", continuation=rk.AnthropicPrefill(messages="messages"))
async def text(*, model: str, messages: list[dict[str, str]]) -> AsyncIterator[str]:
    yield model


class FromIndex(rk.Continuation):
    def follow_up(self, cut: rk.StreamCut) -> rk.FollowUp:
        if not cut.delivered:
            return rk.FollowUp.declined("nothing delivered")
        assert_type(cut.failure, BaseException)
        assert_type(cut.classification, rk.Classification)
        return rk.FollowUp(cut.args, {**cut.kwargs, "start": len(cut.delivered)})

    def refused(self, cut: rk.StreamCut, error: BaseException) -> str | None:
        return None


@rk.retry(continuation=FromIndex(), max_attempts=5)
def numbers(start: int = 0) -> Iterator[int]:
    yield start


assert_type(events("hi"), Iterator[dict[str, Any]])
assert_type(events("hi", response_id="resp_1", starting_after=3), Iterator[dict[str, Any]])
assert_type(text(model="m", messages=[]), AsyncIterator[str])
assert_type(numbers(), Iterator[int])
assert_type(rk.AnthropicPrefill().refusing(), frozenset[str])

events(42)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
rk.retry(continuation="prefill")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
