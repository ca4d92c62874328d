"""How long ``FakeLLMServer``'s answers are: its fixed *reply*, or a seeded share of the output
each request asks for (``max_tokens`` and its names on every route).

The fake counts a token per whitespace-separated word (``usage`` everywhere), so an answer of
*n* tokens is *n* words: the reply's words repeated or cut to *n*.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resilience_kit._checks import check_int
from resilience_kit.exceptions import ConfigurationError

__all__ = ["OutputShare", "answer_tokens", "requested_output", "text_of"]


@dataclass(frozen=True, slots=True)
class OutputShare:
    """Answers that use a random share of the output each request asks for.

    Each answer has ``round(share x max_tokens)`` tokens (at least 1), *share* drawn uniformly from
    ``[low, high]`` by a generator seeded with *seed*: the n-th request of a run that names its
    output gets the n-th draw, answered or refused (`FakeLLMServer.reset()` starts the draws again),
    so a sequential test sees the same answers in every run. The requested output is read where each
    API puts it: ``max_completion_tokens`` / ``max_tokens`` (Chat Completions, Anthropic, Bedrock
    ``invoke`` of Claude), ``max_output_tokens`` (Responses), ``generationConfig.maxOutputTokens``
    (Gemini), ``inferenceConfig.maxTokens`` (Bedrock Converse),
    ``textGenerationConfig.maxTokenCount`` (Bedrock ``invoke`` of Titan). A request that asks for
    none gets the server's *reply*. The answer's text has that many words and its ``usage`` (plain
    or streamed) says that many output tokens; `RateLimits` counts the same number.
    """

    low: float = 0.0
    high: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0.0 <= value <= 1.0
            ):
                raise ConfigurationError(name, f"must be a number in [0, 1], got {value!r}")
        if self.low > self.high:
            raise ConfigurationError("low", f"must be <= high ({self.high:g}), got {self.low:g}")
        check_int("seed", self.seed, 0)

    def generator(self) -> random.Random:
        """A fresh generator of this share's draws."""
        return random.Random(self.seed)

    def tokens(self, rng: random.Random, most: int) -> int:
        """The length of an answer to a request asking for *most* output tokens."""
        share = rng.uniform(self.low, self.high)
        return min(most, max(1, math.floor(share * most + 0.5)))


def _positive(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def requested_output(body: Mapping[str, Any]) -> int | None:
    """The output tokens a request asks for at most, wherever its API puts them (None: none)."""
    for name in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
        found = _positive(body.get(name))
        if found is not None:
            return found
    for section, name in (
        ("generationConfig", "maxOutputTokens"),
        ("inferenceConfig", "maxTokens"),
        ("textGenerationConfig", "maxTokenCount"),
    ):
        config = body.get(section)
        if isinstance(config, Mapping):
            found = _positive(config.get(name))
            if found is not None:
                return found
    return None


def text_of(reply: str, words: int, prefill: str | None = None) -> str:
    """*reply*'s words repeated or cut to *words* words (more when an Anthropic *prefill*, a
    start of the same text, needs them to be continued)."""
    base = reply.split() or ["token"]
    text = " ".join(base[i % len(base)] for i in range(words))
    if prefill and not text.startswith(prefill):
        longer = text_of(reply, max(words, len(prefill.split()) + 1))
        if longer.startswith(prefill):
            return longer
    return text


def answer_tokens(text: str) -> int:
    """The output tokens an answer of *text* reports (the fake's count: one per word, at least
    one)."""
    return max(1, len(text.split()))
