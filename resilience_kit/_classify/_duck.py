"""A last-resort map for HTTP-shaped errors of clients the kit has no map for.

Many SDKs raise errors that carry an HTTP status: groq and other Stainless SDKs (the OpenAI shape,
``exc.status_code``, ``exc.response.headers``, ``exc.body``), cohere (``exc.headers`` as a dict),
mistralai (``exc.body`` as JSON text). When an exception has an integer ``status_code`` between 400
and 599 and no other map claimed it, the shared status rule, body codes, header hints and the
body's "try again in" wait apply.
Register your own map (``register_exception_map``) when you need something else.
"""

from __future__ import annotations

from resilience_kit._classify._bodies import decode_json
from resilience_kit._classify._common import (
    body_error,
    from_response,
    refine_status,
    text_field,
)
from resilience_kit._classify._model import Classification


def classify_http_shaped(exc: BaseException) -> Classification | None:
    """Classify any exception with an HTTP error ``status_code``; ``None`` for the rest."""
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
        return None
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        headers = getattr(exc, "headers", None)
    inner = body_error(decode_json(getattr(exc, "body", None)))
    code = text_field(inner, "code")
    error_type = text_field(inner, "type")
    message = text_field(inner, "message")
    category = refine_status(status, code, error_type, message)
    return from_response(
        exc,
        category,
        provider=type(exc).__module__.partition(".")[0],
        status_code=status,
        headers=headers,
        error_code=code or error_type,
        body_type=error_type,
        body_message=message,
    )
