"""Redaction of API keys and bearer tokens from any text the kit logs or stores."""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Anthropic keys first: they also start with "sk-".
    (re.compile(r"sk-ant-[A-Za-z0-9_\-]{4,}"), "sk-ant-***"),
    (re.compile(r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{8,}"), "sk-***"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.=:+/]{4,}"), r"\1***"),
    (
        re.compile(
            r"(?i)((?:x-api-key|api[-_]key|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]+"
        ),
        r"\1***",
    ),
)

SECRET_HEADERS: frozenset[str] = frozenset(
    {"authorization", "x-api-key", "api-key", "proxy-authorization", "cookie", "set-cookie"}
)


def redact(text: str) -> str:
    """Return *text* with API keys, bearer tokens and api-key values replaced by ``***``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """Return a copy of *headers* with credential-bearing header values replaced."""
    return {
        name: ("***" if name.lower() in SECRET_HEADERS else redact(value))
        for name, value in headers.items()
    }
