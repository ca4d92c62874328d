"""The headers a scripted answer may carry: what HTTP can send, checked when the fault is built."""

from __future__ import annotations

import re
from collections.abc import Mapping

from resilience_kit.exceptions import ConfigurationError

__all__ = ["check_headers"]

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def check_headers(headers: object) -> dict[str, str]:
    """*headers* as a dict an HTTP answer can carry: names are tokens, values Latin-1 text on
    one line; else a ``ConfigurationError`` naming the header (never echoing its value)."""
    if not isinstance(headers, Mapping):
        raise ConfigurationError("headers", f"must be a dict of str, got {type(headers).__name__}")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ConfigurationError(
                "headers", f"names must be HTTP tokens (ASCII letters, digits, -), got {name!r}"
            )
        if not isinstance(value, str):
            raise ConfigurationError(
                f"headers[{name!r}]", f"must be a str, got {type(value).__name__}"
            )
        bad = next((i for i, char in enumerate(value) if ord(char) > 0xFF), None)
        what = "a character outside Latin-1"
        if bad is None:
            bad = next((i for i, char in enumerate(value) if char in "\r\n\0"), None)
            what = "a line break or NUL"
        if bad is not None:
            raise ConfigurationError(
                f"headers[{name!r}]",
                "must be Latin-1 text on one line (U+0000 to U+00FF without CR, LF or NUL: what "
                f"an HTTP header can carry), got {what} at position {bad}",
            )
        checked[name] = value
    return checked
