"""``observe(client, limiter)``: feed every response's rate-limit headers to a TokenLimiter."""

from __future__ import annotations

import hashlib
import inspect
import json
from typing import Any, TypeVar

from resilience_kit._throughput._tokens import TokenLimiter
from resilience_kit.exceptions import ConfigurationError

__all__ = ["observe"]

R = TypeVar("R")


def observe(client: R, limiter: TokenLimiter, *, model: str | None = None) -> R:
    """Attach *limiter* to *client*'s HTTP layer and return *client*.

    *client* is an ``openai``/``anthropic`` client (sync or async; the SDKs send through
    ``httpx2``) or an ``httpx``/``httpx2`` client. An event hook reads the rate-limit headers of
    every response, successful or not (and the ``usage`` of a whole JSON answer, never a stream's
    body), another reads what each request going out is charged
    (its prompt and ``max_tokens``, from its JSON body), and the limiter keys its budget by
    provider, a hash of the API key (never the key) and *model* (only requests for *model* and
    their answers are read when given: limits differ per model).
    """
    http: Any = getattr(client, "_client", client)
    hooks = getattr(http, "event_hooks", None)
    if not isinstance(limiter, TokenLimiter):
        raise ConfigurationError("limiter", f"must be a TokenLimiter, got {type(limiter).__name__}")
    if not isinstance(hooks, dict) or "response" not in hooks:
        raise ConfigurationError(
            "client", "must be an openai/anthropic client or an httpx/httpx2 client"
        )
    provider = type(client).__module__.partition(".")[0]
    secret = getattr(client, "api_key", None)
    base = str(getattr(client, "base_url", ""))
    digest = hashlib.sha256(f"{base}\0{secret or ''}".encode()).hexdigest()[:16]
    limiter.bind(":".join(part for part in (provider, digest, model) if part))

    def body_of(request: Any) -> object:
        try:
            return json.loads(request.content or b"{}")
        except (ValueError, AttributeError, RuntimeError, TypeError):
            return None

    def wanted(body: object) -> bool:
        return model is None or (isinstance(body, dict) and body.get("model") == model)

    def on_request(request: Any) -> None:
        body = body_of(request)
        if wanted(body):
            limiter.observe_request(body)

    def on_response(response: Any) -> bool:
        if model is None or wanted(body_of(response.request)):
            limiter.observe_headers(response.headers)
            return _whole_json(response)
        return False

    def read_usage(response: Any) -> None:
        if on_response(response):
            response.read()
            limiter.observe_answer(_json(response.content))

    async def aon_request(request: Any) -> None:
        on_request(request)

    async def aon_response(response: Any) -> None:
        if on_response(response):
            await response.aread()
            limiter.observe_answer(_json(response.content))

    asynchronous = inspect.iscoroutinefunction(getattr(http, "send", None))
    http.event_hooks = {
        "request": [*hooks.get("request", []), aon_request if asynchronous else on_request],
        "response": [*hooks["response"], aon_response if asynchronous else read_usage],
    }
    return client


def _whole_json(response: Any) -> bool:
    """A successful answer in one JSON body (a stream is never read here)."""
    kind = str(response.headers.get("content-type", ""))
    return getattr(response, "status_code", 0) == 200 and kind.startswith("application/json")


def _json(content: bytes) -> object:
    try:
        return json.loads(content)
    except ValueError:
        return None
