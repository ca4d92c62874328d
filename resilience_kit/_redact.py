"""Redaction of credentials from any text the kit logs or stores.

Covered shapes: provider API keys (OpenAI ``sk-``, Anthropic ``sk-ant-``, Google ``AIza``,
Groq ``gsk_``, Hugging Face ``hf_``, xAI ``xai-``, Perplexity ``pplx-``, Replicate ``r8_``, AWS
access key ids ``AKIA``/``ASIA``), AWS session tokens (``IQoJ...``, ``FwoG...``, ``AQoD...``) and
signatures (``x-amz-security-token:``, ``X-Amz-Security-Token=``, ``Signature=``,
``X-Amz-Signature=``, as botocore's ``InvalidSignatureException`` and presigned URLs show them),
``Bearer``/``Basic``/any-scheme ``Authorization`` values of any length, api-key style
``name: value`` / ``name=value`` pairs, credentials in URL queries (``?key=``, ``access_token=``,
``api_key=``, ``token=``, ``sig=``, ...) and passwords in URLs (``https://user:pw@host``).
"""

from __future__ import annotations

import re

# Names whose value is a credential in "name: value" / "name=value" text.
_KEY_NAMES = (
    r"x-api-key|x-goog-api-key|api[-_]?key|apikey|access[-_]?token|auth[-_]?token|"
    r"refresh[-_]?token|id[-_]?token|client[-_]?secret|secret[-_]?key|password|passwd|"
    r"x-amz-security-token|security[-_]?token|session[-_]?token|x-amz-signature|signature"
)
# In a URL query the short names are credentials too (Google's ?key=, signed URLs' sig=).
_QUERY_NAMES = rf"{_KEY_NAMES}|x-amz-credential|secret|token|key|sig|session"

# (substrings of the lower-cased text, one of which must occur, pattern, replacement): the cheap
# substring test skips most patterns for most messages.
_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # Passwords in URLs first (scheme://user:password@host): the user name stays.
    (("@",), re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://[^\s/?#@:\"']*:)[^\s/?#@\"']*@"), r"\1***@"),
    # Credentials in URL queries and form bodies: ?key=AIza..., &access_token=...
    (("=",), re.compile(rf"(?i)([?&;](?:{_QUERY_NAMES})=)[^&#\s\"'<>]+"), r"\1***"),
    # Anthropic keys first: they also start with "sk-".
    (("sk-ant-",), re.compile(r"sk-ant-[A-Za-z0-9_\-]{4,}"), "sk-ant-***"),
    (("sk-",), re.compile(r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{8,}"), "sk-***"),
    (("aiza",), re.compile(r"AIza[0-9A-Za-z_\-]{8,}"), "AIza***"),
    (("gsk_",), re.compile(r"\bgsk_[A-Za-z0-9]{8,}"), "gsk_***"),
    (("hf_",), re.compile(r"\bhf_[A-Za-z0-9]{8,}"), "hf_***"),
    (("xai-",), re.compile(r"\bxai-[A-Za-z0-9]{8,}"), "xai-***"),
    (("pplx-",), re.compile(r"\bpplx-[A-Za-z0-9]{8,}"), "pplx-***"),
    (("r8_",), re.compile(r"\br8_[A-Za-z0-9]{8,}"), "r8_***"),
    (("akia", "asia"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "AKIA***"),
    # AWS STS session tokens (base64 of a fixed header, so always the same first characters).
    (
        ("iqoj", "fwog", "aqod"),
        re.compile(r"(?<![A-Za-z0-9+/])(?:IQoJ|FwoG|AQoD)[A-Za-z0-9+/=]{16,}"),
        "IQoJ***",
    ),
    # Authorization values with their scheme (Bearer, Basic, Token, ...), whatever their length.
    (
        ("authorization",),
        re.compile(
            r"(?i)((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:[A-Za-z][A-Za-z0-9_-]*\s+)?)"
            r"[^\s\"',;}]+"
        ),
        r"\1***",
    ),
    (
        ("bearer", "basic"),
        re.compile(r"(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9_\-.=:+/~]+"),
        r"\1***",
    ),
    # name: value / name=value pairs for api-key style names.
    (
        ("key", "token", "secret", "passw", "signature"),
        re.compile(
            # a name starts a word, or follows an escaped newline (a repr: "...\\nx-amz-...:")
            rf"(?i)((?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))(?:{_KEY_NAMES})[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s\"',;}&]+"
        ),
        r"\1***",
    ),
)

SECRET_HEADERS: frozenset[str] = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "x-amz-security-token",
        "cookie",
        "set-cookie",
    }
)


def redact(text: str) -> str:
    """Return *text* with API keys, tokens, passwords and credential values replaced by ``***``."""
    lowered = text.lower()
    for triggers, pattern, replacement in _PATTERNS:
        if any(trigger in lowered for trigger in triggers):
            text = pattern.sub(replacement, text)
    return text


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """Return a copy of *headers* with credential-bearing header values replaced."""
    return {
        name: ("***" if name.lower() in SECRET_HEADERS else redact(value))
        for name, value in headers.items()
    }
