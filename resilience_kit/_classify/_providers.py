"""Built-in exception maps, one module per client family. Nothing here imports an SDK eagerly."""

from __future__ import annotations

from resilience_kit._classify import _anthropic, _builtins, _duck, _http, _openai
from resilience_kit._classify._dispatch import register_builtin, register_fallback


def install() -> None:
    """Register every built-in map with the classifier (called once, on first ``classify``)."""
    register_builtin("openai", _openai.classify_openai)
    register_builtin("anthropic", _anthropic.classify_anthropic)
    register_builtin("httpx", _http.classify_httpx)
    register_builtin("httpx2", _http.classify_httpx2)
    register_builtin("requests", _http.classify_requests)
    register_fallback(_builtins.classify_builtin)
    register_fallback(_duck.classify_http_shaped)  # last: any other client's HTTP error
