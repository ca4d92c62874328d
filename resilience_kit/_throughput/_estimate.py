"""Token estimates of a call from its arguments, and its actual tokens from the answer's usage."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Estimate", "estimate_tokens", "usage_tokens"]

_PER_MESSAGE = 4  # the chat formats' few tokens of framing per message
_OUTPUT_NAMES = ("max_completion_tokens", "max_tokens", "max_output_tokens")


@dataclass(frozen=True, slots=True)
class Estimate:
    """Tokens a call counts against a TPM limit: its *prompt* and the *output* it may produce
    (``max_tokens``; the providers count it at admission). ``None``: unknown."""

    prompt: int
    output: int | None
    shape: str = "text"
    """What the prompt holds besides plain text (``"text"``, ``"image"``, ``"tools"``,
    ``"system"``, joined by ``+``): the characters-to-tokens ratio is learned per shape."""

    @property
    def total(self) -> int:
        return self.prompt + (self.output or 0)


def estimate_tokens(*args: Any, **kwargs: Any) -> Estimate | None:
    """The default cost of an OpenAI or Anthropic shaped call, from its keyword arguments.

    Reads ``messages`` (and Anthropic's ``system``, OpenAI Responses' ``input``/``instructions``)
    at about four characters a token, plus ``max_tokens`` / ``max_completion_tokens`` /
    ``max_output_tokens``. ``None`` when the call has no such arguments (the limiter then uses
    the average of the answers seen so far).
    """
    texts = 0
    found = False
    messages = kwargs.get("messages")
    count = 0
    kinds: set[str] = set()
    if isinstance(messages, (list, tuple)):
        found = True
        count = len(messages)
        texts += sum(_chars(message) for message in messages)
        if any(_has_image(message) for message in messages):
            kinds.add("image")
    for name in ("system", "input", "instructions", "prompt"):
        if name in kwargs:
            found = True
            texts += _chars(kwargs[name])
            if name in {"system", "instructions"}:
                kinds.add("system")
            elif _has_image(kwargs[name]):
                kinds.add("image")
    if kwargs.get("tools"):
        kinds.add("tools")
    output = next(
        (
            value
            for name in _OUTPUT_NAMES
            if isinstance(value := kwargs.get(name), int) and not isinstance(value, bool)
        ),
        None,
    )
    if not found and output is None:
        return None
    shape = "+".join(sorted(kinds)) or "text"
    return Estimate(math.ceil(texts / 4) + _PER_MESSAGE * count, output, shape)


_IMAGE_TYPES = frozenset({"image", "image_url", "input_image", "document", "file", "input_file"})


def _has_image(value: object, depth: int = 0) -> bool:
    """Whether a message or content list holds an image or file part (tokens not in its text)."""
    if depth > 4:
        return False
    if isinstance(value, Mapping):
        if value.get("type") in _IMAGE_TYPES:
            return True
        return _has_image(value.get("content"), depth + 1)
    if isinstance(value, (list, tuple)):
        return any(_has_image(item, depth + 1) for item in value)
    return False


def _chars(value: object, depth: int = 0) -> int:
    """Characters of text in a message, a content list or a plain string."""
    if depth > 4:
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return sum(_chars(value[key], depth + 1) for key in ("content", "text") if key in value)
    if isinstance(value, (list, tuple)):
        return sum(_chars(item, depth + 1) for item in value)
    return 0


def usage_tokens(result: object) -> tuple[int, int] | None:
    """``(input, output)`` tokens from an answer's ``usage`` (OpenAI or Anthropic), or ``None``."""
    usage = getattr(result, "usage", None)
    if usage is None and isinstance(result, Mapping):
        usage = result.get("usage")
    if usage is None:
        return None
    values = []
    for names in (("prompt_tokens", "input_tokens"), ("completion_tokens", "output_tokens")):
        value = None
        for name in names:
            found = usage.get(name) if isinstance(usage, Mapping) else getattr(usage, name, None)
            if isinstance(found, int) and not isinstance(found, bool):
                value = found
                break
        if value is None:
            return None
        values.append(value)
    return values[0], values[1]
