"""Error bodies read within bounds: a hostile or broken body is "no body", never an exception.

Every place that turns body text into data (``classify_http``, the map for HTTP-shaped errors,
``resilience-kit explain``) reads it here: at most ``MAX_BODY`` characters and ``MAX_DEPTH`` levels
of nesting, checked by a scan before any parser runs, so a 2 KB ``[[[[...`` cannot reach the
parser's recursion limit. Python literals (what ``str(exc)`` prints) are read with
``ast.literal_eval`` under the same bounds, never ``eval``.
"""

from __future__ import annotations

import ast
import json

__all__ = ["MAX_BODY", "MAX_DEPTH", "BodyError", "decode_json", "nesting_depth", "read_literal"]

MAX_BODY = 65536
"""The longest body text (characters or bytes) that is parsed at all."""
MAX_DEPTH = 32
"""The deepest nesting of ``[``, ``{`` and ``(`` that is parsed (real error bodies use 3 to 6)."""

_OPEN = frozenset("[{(")
_CLOSE = frozenset("]})")


class BodyError(ValueError):
    """Body text that is not read: too long, nested too deep, or not a literal of plain data."""


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The deepest bracket nesting of *text* outside quoted strings, stopping at ``limit + 1``.

    Quotes are JSON's ``"`` and Python's ``'`` or ``"`` with backslash escapes, as ``json.dumps``
    and ``repr`` write them; the scan is linear and never recurses.
    """
    depth = deepest = 0
    quote: str | None = None
    escaped = False
    for char in text:
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
    return deepest


def _bounded_text(body: str | bytes) -> str:
    if len(body) > MAX_BODY:
        raise BodyError(f"longer than {MAX_BODY} characters")
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if nesting_depth(text) > MAX_DEPTH:
        raise BodyError(f"nested deeper than {MAX_DEPTH} levels")
    return text


def decode_json(body: object) -> object:
    """*body* decoded when it is JSON text or bytes within bounds; ``None`` when it is not;
    anything else (a dict, ``None``) as it is."""
    if not isinstance(body, (str, bytes)):
        return body
    try:
        return json.loads(_bounded_text(body))
    except (ValueError, RecursionError):  # BodyError and JSONDecodeError are ValueErrors
        return None


_PLAIN = (str, int, float, bool, type(None))


def _plain(value: object) -> object:
    """*value* as JSON data (tuples become lists); ``BodyError`` for anything else."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise BodyError("a dict key is not a string")
        return {key: _plain(item) for key, item in value.items()}
    raise BodyError(f"holds a {type(value).__name__}, not plain data")


def read_literal(text: str) -> object:
    """A Python literal of plain data (a dict repr as ``str(exc)`` prints it) within bounds.

    Raises ``BodyError`` for text that is too long, too deep, not a literal, or holds anything
    but strings, numbers, booleans, ``None``, lists, tuples and dicts with string keys.
    """
    bounded = _bounded_text(text)
    try:
        value = ast.literal_eval(bounded.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, SyntaxError) and exc.msg else type(exc).__name__
        raise BodyError(f"not a Python literal ({reason})") from None
    return _plain(value)
