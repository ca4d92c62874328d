"""Real SDK exception objects built the way the SDKs build them, without a socket."""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType
from typing import Any

import anthropic
import httpx2
import openai

OPENAI_URL = "https://api.openai.com/v1/chat/completions"
ANTHROPIC_URL = "https://api.anthropic.com/v1/messages"

# Never used to send anything: only their error dispatchers and retry rules are called.
OPENAI_CLIENT = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1", max_retries=0)
ANTHROPIC_CLIENT = anthropic.Anthropic(
    api_key="sk-ant-test", base_url="http://127.0.0.1:9", max_retries=0
)


def response(
    status: int, body: object = None, headers: dict[str, str] | None = None, url: str = OPENAI_URL
) -> httpx2.Response:
    """An ``httpx2.Response`` tied to a request, as the SDKs receive it."""
    request = httpx2.Request("POST", url)
    if body is None:
        return httpx2.Response(status, request=request, headers=headers or {})
    return httpx2.Response(status, request=request, headers=headers or {}, json=body)


def openai_error(
    status: int,
    *,
    code: str | None = None,
    error_type: str | None = None,
    message: str = "error",
    headers: dict[str, str] | None = None,
) -> openai.APIStatusError:
    """The exact exception ``openai.OpenAI`` raises for an error response (its own dispatcher)."""
    body: dict[str, Any] = {
        "error": {"message": message, "type": error_type, "code": code, "param": None}
    }
    return OPENAI_CLIENT._make_status_error_from_response(response(status, body, headers))


def openai_stream_error(body: dict[str, Any], message: str = "stream error") -> openai.APIError:
    """The bare ``openai.APIError`` a chat stream raises for ``data: {"error": ...}``."""
    return openai.APIError(message, httpx2.Request("POST", OPENAI_URL), body=body)


def anthropic_error(
    status: int,
    *,
    error_type: str = "api_error",
    message: str = "error",
    error_code: str | None = None,
    headers: dict[str, str] | None = None,
) -> anthropic.APIStatusError:
    """The exact exception ``anthropic.Anthropic`` raises (dispatches the error_code subclasses)."""
    error: dict[str, Any] = {"type": error_type, "message": message}
    if error_code is not None:
        error["details"] = {"error_code": error_code}
    body = {"type": "error", "error": error, "request_id": "req_body"}
    resp = response(status, body, headers, url=ANTHROPIC_URL)
    return ANTHROPIC_CLIENT._make_status_error_from_response(resp)


def exported_exceptions(package: ModuleType, module_names: list[str]) -> dict[str, type]:
    """Exception classes of *package*: public names, the modules that define errors, subclasses.

    Subclasses are found in every module of the SDK loaded so far, so a new error module that is
    imported anywhere shows up here even before it is added to ``ERROR_MODULES``.
    """
    found: dict[str, type] = {}
    modules = [package, *(importlib.import_module(name) for name in module_names)]
    for module in modules:
        for name in dir(module):
            value = getattr(module, name, None)
            if inspect.isclass(value) and issubclass(value, BaseException):
                found[value.__name__] = value
    pending = list(found.values())
    while pending:  # subclasses defined in any loaded module of the SDK
        for sub in pending.pop().__subclasses__():
            if sub.__name__ not in found:
                found[sub.__name__] = sub
                pending.append(sub)
    top = package.__name__
    return {name: cls for name, cls in found.items() if cls.__module__.partition(".")[0] == top}
