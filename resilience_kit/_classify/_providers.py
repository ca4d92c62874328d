"""The built-in exception maps, one module per client family; none imports an SDK eagerly."""

from __future__ import annotations

from resilience_kit._classify import (
    _anthropic,
    _bedrock,
    _builtins,
    _duck,
    _google,
    _http,
    _openai,
)
from resilience_kit._classify._model import BuiltinMap

__all__ = ["BUILTINS", "FALLBACKS"]

BUILTINS: dict[str, BuiltinMap] = {
    "openai": _openai.classify_openai,
    "anthropic": _anthropic.classify_anthropic,
    "httpx": _http.classify_httpx,
    "httpx2": _http.classify_httpx2,
    "requests": _http.classify_requests,
    "urllib3": _http.classify_urllib3,
    "google": _google.classify_google,  # google.genai only; None for the rest
    "botocore": _bedrock.classify_botocore,
}
"""The map of each client, chosen by the top-level module of the exception's class."""

FALLBACKS: tuple[BuiltinMap, ...] = (
    _builtins.classify_builtin,
    _duck.classify_http_shaped,  # last: any other client's HTTP error
)
"""Maps tried, in order, for an exception no module map claimed (isinstance-based)."""
