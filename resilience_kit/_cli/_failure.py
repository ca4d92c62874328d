"""The failure ``resilience-kit explain`` describes, rebuilt as the exception a client would raise.

For ``openai``, ``anthropic``, ``gemini`` (google-genai) and ``bedrock`` (boto3 ``bedrock-runtime``)
the real SDK client sends one request to a local FakeLLMServer scripted with the status, headers
and body (or the in-stream error event), so the exception is exactly what that SDK raises in
production. ``http`` stands for any other client: an exception
with ``status_code``, ``headers`` and ``body``, classified by the kit's rule for HTTP-shaped errors.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from resilience_kit._cli._command import UsageError
from resilience_kit._cli._pasted import read_body
from resilience_kit._redact import redact_headers
from resilience_kit.testing import FakeLLMServer, Fault

__all__ = ["PROVIDERS", "Failure", "raise_failure", "read_failure"]

PROVIDERS = ("openai", "anthropic", "gemini", "bedrock", "http")
_MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash",
    "bedrock": "anthropic.claude-3-5-haiku-20241022-v1:0",
}
# The module each provider's SDK client comes from (checked before the server starts).
_SDK_MODULES = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google.genai",
    "bedrock": "boto3",
}


@dataclass(frozen=True)
class Failure:
    """A failed answer as seen in a log: provider, status, headers, body or error code/type."""

    provider: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    code: str | None = None
    type: str | None = None
    in_stream: bool = False
    message: str | None = None  # a Bedrock error's message (read from botocore's str(exc))
    body_form: str | None = None  # how --body was read (see ``_pasted``)

    def check(self) -> None:
        """Reject combinations no client produces, with a message naming the options."""
        if self.in_stream:
            if self.provider == "http":
                raise UsageError(
                    "--in-stream needs --provider openai, anthropic, gemini or bedrock (not http)"
                )
            if self.status is not None or self.body is not None or self.headers:
                raise UsageError(
                    "--in-stream describes an error event inside a 200 stream: "
                    "give --code/--type, not --status, --header or --body"
                )
            return
        if self.status is None:
            raise UsageError("--status is required (or --in-stream for an error inside a stream)")
        if self.body is not None and (self.code is not None or self.type is not None):
            raise UsageError("--body is the whole body: give either --body or --code/--type")

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "status": self.status,
            "headers": redact_headers(dict(self.headers)),
            "body": self.body,
            "code": self.code,
            "type": self.type,
            "in_stream": self.in_stream,
            "message": self.message,
            "body_form": self.body_form,
        }


class HTTPStatusError(Exception):
    """What an unknown HTTP client raises: a status, its headers and the body text."""

    def __init__(self, status_code: int, headers: Mapping[str, str], body: str) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.headers = dict(headers)
        self.body = body


HTTPStatusError.__module__ = "http"  # the provider name classify() reports for it


def _shaped_body(code: str | None, error_type: str | None) -> str:
    error = {key: value for key, value in (("code", code), ("type", error_type)) if value}
    return json.dumps({"error": error}) if error else ""


def read_failure(failure: Failure) -> Failure:
    """*failure* with its pasted ``--body`` read back into the wire body, and the status or
    error code the pasted text states; a usage error when the body cannot be read or states
    another status than ``--status``."""
    if failure.body is None or failure.in_stream:
        return failure
    pasted = read_body(failure.body)
    status = failure.status
    if pasted.status is not None:
        if status is not None and status != pasted.status:
            raise UsageError(
                f"--status {status} but the pasted body says {pasted.status}: give one of them"
            )
        status = pasted.status
    if pasted.aws_code is None:
        return dataclasses.replace(failure, status=status, body=pasted.body, body_form=pasted.form)
    if failure.provider != "bedrock":
        raise UsageError(f"--body is a botocore error ({pasted.aws_code}): use --provider bedrock")
    if failure.code is not None or failure.type is not None:
        raise UsageError("--body is the whole error: give either --body or --code/--type")
    if status is None:
        status = _bedrock_status(pasted.aws_code)
    return dataclasses.replace(
        failure,
        status=status,
        body=None,
        type=pasted.aws_code,
        message=pasted.aws_message,
        body_form=pasted.form,
    )


def _bedrock_status(code: str) -> int | None:
    """The HTTP status Bedrock Runtime's service model gives error *code* (None if unknown)."""
    try:
        import botocore.session  # an optional dependency: only --provider bedrock needs it
    except ImportError:
        return None
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    for shape in model.error_shapes:
        if shape.name == code:  # Bedrock Runtime's error codes are its shape names
            error: Any = shape.metadata.get("error", {})
            status = error.get("httpStatusCode") if isinstance(error, Mapping) else None
            return status if isinstance(status, int) else None
    return None


def raise_failure(failure: Failure) -> BaseException:
    """The exception the client of *failure.provider* raises for it."""
    failure.check()
    if failure.in_stream:
        fault = Fault.stream_error(type=failure.type, code=failure.code)
    else:
        status = _failed_status(failure.status)
        if failure.provider == "http":
            body = failure.body
            if body is None:
                body = _shaped_body(failure.code, failure.type)
            return HTTPStatusError(status, failure.headers, body)
        body = failure.body
        if body is None and failure.code is None and failure.type is None:
            body = ""  # the status and headers alone: no error code the log did not show
        fault = Fault.status(
            status,
            headers=failure.headers,
            code=failure.code,
            type=failure.type,
            message=failure.message,
            body=body,
        )
    importlib.import_module(_SDK_MODULES[failure.provider])  # ImportError before anything starts
    with FakeLLMServer() as server:
        server.script(fault)
        try:
            _send(server, failure.provider, stream=failure.in_stream)
        except Exception as exc:  # whatever the SDK raises is the answer
            return exc
    raise UsageError(f"the {failure.provider} client did not fail on this answer")


def _failed_status(status: int | None) -> int:
    if status is None or not 400 <= status <= 599:
        raise UsageError(f"--status must be an HTTP error status 400-599, got {status}")
    return status


def _send(server: FakeLLMServer, provider: str, *, stream: bool) -> None:
    messages: Any = [{"role": "user", "content": "hi"}]
    if provider == "openai":
        import openai  # an optional dependency: only this provider needs it

        client = server.openai_client(http_client=openai.DefaultHttpxClient(trust_env=False))
        if stream:
            for _chunk in client.chat.completions.create(
                model=_MODELS[provider], messages=messages, stream=True
            ):
                pass
        else:
            client.chat.completions.create(model=_MODELS[provider], messages=messages)
        return
    if provider == "gemini":
        _send_gemini(server, stream=stream)
        return
    if provider == "bedrock":
        _send_bedrock(server, stream=stream)
        return
    import anthropic  # an optional dependency: only this provider needs it

    aclient = server.anthropic_client(http_client=anthropic.DefaultHttpxClient(trust_env=False))
    if stream:
        for _event in aclient.messages.create(
            model=_MODELS[provider], max_tokens=16, messages=messages, stream=True
        ):
            pass
    else:
        aclient.messages.create(model=_MODELS[provider], max_tokens=16, messages=messages)


def _send_gemini(server: FakeLLMServer, *, stream: bool) -> None:
    client = server.gemini_client(timeout=30.0)
    if stream:
        for _chunk in client.models.generate_content_stream(model=_MODELS["gemini"], contents="hi"):
            pass
    else:
        client.models.generate_content(model=_MODELS["gemini"], contents="hi")


def _send_bedrock(server: FakeLLMServer, *, stream: bool) -> None:
    client = server.bedrock_client(timeout=30.0)
    messages: Any = [{"role": "user", "content": [{"text": "hi"}]}]
    if stream:
        events = client.converse_stream(modelId=_MODELS["bedrock"], messages=messages)["stream"]
        try:
            for _event in events:
                pass
        finally:
            events.close()  # an error event leaves the connection open otherwise
    else:
        client.converse(modelId=_MODELS["bedrock"], messages=messages)
