"""The built-in exception maps, one module per client family, each loaded on first use.

``classify`` picks a map by the top-level module of the exception's class, so the OpenAI map (and
the header parsing it needs) loads the first time an ``openai`` exception is classified; no map
imports its SDK.
"""

from __future__ import annotations

from resilience_kit._classify._model import BuiltinMap, Classification, FollowCause

__all__ = ["BUILTINS", "FALLBACKS"]

Answer = Classification | FollowCause | None


def _openai(exc: BaseException) -> Answer:
    from resilience_kit._classify._openai import classify_openai

    return classify_openai(exc)


def _anthropic(exc: BaseException) -> Answer:
    from resilience_kit._classify._anthropic import classify_anthropic

    return classify_anthropic(exc)


def _httpx(exc: BaseException) -> Answer:
    from resilience_kit._classify._http import classify_httpx

    return classify_httpx(exc)


def _httpx2(exc: BaseException) -> Answer:
    from resilience_kit._classify._http import classify_httpx2

    return classify_httpx2(exc)


def _requests(exc: BaseException) -> Answer:
    from resilience_kit._classify._http import classify_requests

    return classify_requests(exc)


def _urllib3(exc: BaseException) -> Answer:
    from resilience_kit._classify._http import classify_urllib3

    return classify_urllib3(exc)


def _google(exc: BaseException) -> Answer:
    from resilience_kit._classify._google import classify_google

    return classify_google(exc)


def _botocore(exc: BaseException) -> Answer:
    from resilience_kit._classify._bedrock import classify_botocore

    return classify_botocore(exc)


def _builtin(exc: BaseException) -> Answer:
    from resilience_kit._classify._builtins import classify_builtin

    return classify_builtin(exc)


def _http_shaped(exc: BaseException) -> Answer:
    from resilience_kit._classify._duck import classify_http_shaped

    return classify_http_shaped(exc)


BUILTINS: dict[str, BuiltinMap] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "httpx": _httpx,
    "httpx2": _httpx2,
    "requests": _requests,
    "urllib3": _urllib3,
    "google": _google,  # google.genai only; None for the rest
    "botocore": _botocore,
}
"""The map of each client, chosen by the top-level module of the exception's class."""

FALLBACKS: tuple[BuiltinMap, ...] = (
    _builtin,
    _http_shaped,  # last: any other client's HTTP error
)
"""Maps tried, in order, for an exception no module map claimed (isinstance-based)."""
