"""What people paste as ``explain --body``: the wire JSON, or what a Python log printed.

A log usually holds ``str(exc)`` or a dict repr, not the JSON the server sent:

- openai 2 and later: ``Error code: 429 - You exceeded your current quota, ...`` (the body's
  ``error.message`` only: read back as ``{"error": {"message": ...}}``)
- anthropic 2.x: ``429 Number of request tokens ... (request_id: req_..., path: /v1/messages,
  type: rate_limit_error)`` (the message, then the ``error_code`` and ``type`` it states)
- older openai / anthropic: ``Error code: 429 - {'error': {..., 'code': 'insufficient_quota'}}``
- google-genai: ``429 RESOURCE_EXHAUSTED. {'error': {'code': 429, 'status': ...}}``
- botocore (Bedrock): ``An error occurred (ThrottlingException) when calling the Converse
  operation (reached max retries: 0): Too many requests``, or the ``exc.response`` dict
  ``{'Error': {'Code': ..., 'Message': ...}, 'ResponseMetadata': {'HTTPStatusCode': 429}}``
- any of them: the bare dict repr ``{'error': {...}}``

Each is read back into the wire body (and the status or error code it states), within the bounds
of ``_classify._bodies`` (``ast.literal_eval``, never ``eval``). Text that looks structured but
cannot be read is refused (a usage error), never guessed at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from resilience_kit._classify import BodyError, decode_json, read_literal
from resilience_kit._cli._command import UsageError

__all__ = ["Pasted", "read_body"]

# The last line of a traceback names the class first ("openai.RateLimitError: Error code: ..."),
# and a logging line puts its own prefix before that ("ERROR:root:request failed: openai...").
_CLASS = r"(?:[^\n{]*?: )?"
_SDK_STR = re.compile(_CLASS + r"Error code: (\d{3}) - (.*)", re.DOTALL)
_GENAI_STR = re.compile(_CLASS + r"(\d{3}) ([A-Z_]+|None)\. (.*)", re.DOTALL)
_BOTOCORE_STR = re.compile(
    _CLASS + r"An error occurred \((\w+)\)(?: when calling the \w+ operation)?"
    r"(?: \(reached max retries: \d+\))?: (.*)",
    re.DOTALL,
)
# anthropic 2.x: "<status> <message> (error_code: ..., request_id: ..., path: ..., type: ...)",
# then the error's other details as indented JSON after a blank line.
_LABELS = r"(?:error_code|request_id|path|type)"
_ANTHROPIC_STR = re.compile(
    _CLASS + rf"(\d{{3}}) (.*) \(({_LABELS}: [^,()\n]*(?:, {_LABELS}: [^,()\n]*)*)\)(?:\n\n(.*))?",
    re.DOTALL,
)
_NO_BODY = "status code (no body)"
_STRUCTURED = re.compile(r"{")


@dataclass(frozen=True)
class Pasted:
    """A pasted body read back: what to send, and the facts it states."""

    body: str | None  # the wire body (JSON text, or the text as it was)
    form: str  # json, sdk_str, anthropic_str, genai_str, botocore_str, botocore_response,
    # dict_repr, text
    status: int | None = None  # the status the pasted text states
    aws_code: str | None = None  # a botocore error code (Bedrock answers carry it in a header)
    aws_message: str | None = None


def _literal_dict(text: str, what: str) -> Mapping[str, object]:
    try:
        value = read_literal(text)
    except BodyError as exc:
        raise UsageError(
            f"--body looks like {what} but cannot be read: {exc}; paste the whole body "
            "(JSON as the server sent it, or str(exc) / a dict repr from a Python log)"
        ) from None
    if not isinstance(value, dict):
        raise UsageError(f"--body looks like {what} but is not a dict: {type(value).__name__}")
    return value


def _status_of(data: Mapping[str, object]) -> int | None:
    meta = data.get("ResponseMetadata")
    status = meta.get("HTTPStatusCode") if isinstance(meta, Mapping) else None
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _from_dict(data: Mapping[str, object], form: str, status: int | None) -> Pasted:
    error = data.get("Error")
    if isinstance(error, Mapping) and "error" not in data:  # botocore's exc.response
        code, message = error.get("Code"), error.get("Message")
        return Pasted(
            None,
            "botocore_response",
            status=status if status is not None else _status_of(data),
            aws_code=code if isinstance(code, str) else None,
            aws_message=message if isinstance(message, str) else None,
        )
    return Pasted(json.dumps(data), form, status=status)


def read_body(text: str) -> Pasted:
    """*text* as pasted into ``--body``, read back; ``UsageError`` when it cannot be read."""
    stripped = text.strip()
    decoded = decode_json(stripped)
    if decoded is not None or stripped == "null":
        return Pasted(text, "json")
    match = _SDK_STR.fullmatch(stripped)
    if match is not None:
        status, rest = int(match.group(1)), match.group(2)
        if rest.lstrip().startswith("<"):  # a text body: "Error code: 502 - <html>"
            return _text(rest, "sdk_str", status)
        if not rest.lstrip().startswith(("{", "[")):  # openai 2+: the body's error.message
            return Pasted(json.dumps({"error": {"message": rest}}), "sdk_str", status=status)
        data = _literal_dict(rest, "an SDK's str(exc) (Error code: NNN - {...})")
        return _from_dict(data, "sdk_str", status)
    match = _GENAI_STR.fullmatch(stripped)
    if match is not None and match.group(3).lstrip().startswith(("{", "[")):
        data = _literal_dict(match.group(3), "google-genai's str(exc) (NNN STATUS. {...})")
        return _from_dict(data, "genai_str", int(match.group(1)))
    match = _ANTHROPIC_STR.fullmatch(stripped)
    if match is not None:
        return _anthropic(int(match.group(1)), match.group(2), match.group(3), match.group(4))
    match = _BOTOCORE_STR.fullmatch(stripped)
    if match is not None:
        return Pasted(None, "botocore_str", aws_code=match.group(1), aws_message=match.group(2))
    if stripped.startswith(("{", "[")):
        return _from_dict(_literal_dict(stripped, "a JSON body or a dict repr"), "dict_repr", None)
    return _text(text, "text", None)


def _text(text: str, form: str, status: int | None) -> Pasted:
    """A text body, unless a stray ``{`` says it was meant as data that could not be read."""
    if _STRUCTURED.search(text):
        raise UsageError(
            "--body is neither JSON nor a form explain reads (str(exc) of openai, anthropic, "
            "google-genai or botocore, or a dict repr); paste the body as the server sent it"
        )
    return Pasted(text, form, status=status)


def _anthropic(status: int, message: str, labels: str, details: str | None) -> Pasted:
    """anthropic's ``str(exc)`` read back into its wire body: message, type and details (the
    JSON after the blank line, else the ``error_code`` it states)."""
    stated = dict(item.split(": ", 1) for item in labels.split(", "))
    if message == _NO_BODY and details is None:
        return Pasted("", "anthropic_str", status=status)
    error: dict[str, object] = {"message": message}
    if "type" in stated:
        error["type"] = stated["type"]
    if details is not None:
        decoded = decode_json(details.strip())
        if decoded is None:
            raise UsageError(
                "--body looks like anthropic's str(exc) but the details after it are not JSON; "
                "paste the whole message"
            )
        error["details"] = decoded
    elif "error_code" in stated:
        error["details"] = {"error_code": stated["error_code"]}
    return Pasted(json.dumps({"type": "error", "error": error}), "anthropic_str", status=status)
