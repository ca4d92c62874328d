"""Built-in continuations: OpenAI Responses background streams and Anthropic Messages prefill.

Both read the delivered items the way the SDKs yield them (event objects with a ``type``; the
Anthropic one also plain ``str`` pieces from ``text_stream``) and never look at anything else.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from resilience_kit._checks import check_name
from resilience_kit._retry._continue import Continuation, FollowUp, StreamCut

__all__ = ["AnthropicPrefill", "OpenAIBackground"]


class OpenAIBackground(Continuation):
    """Resume an OpenAI Responses stream created with ``background=True``: exact.

    The decorated generator yields the stream's events and accepts two keyword arguments,
    *response_id* and *starting_after* (both None on the first call); the follow-up passes the
    response's id and the sequence number of the last delivered event, and the generator then
    yields from ``client.responses.retrieve(response_id, stream=True,
    starting_after=starting_after)``. The caller gets every event exactly once, in order.

    Declines when no ``response.created`` event was delivered, when the response is not a
    background one, or when the delivered events carry no sequence numbers.
    """

    def __init__(self, *, id_arg: str = "response_id", after_arg: str = "starting_after") -> None:
        self.id_arg: str = check_name("id_arg", id_arg)
        """The keyword that gets the response's id."""
        self.after_arg: str = check_name("after_arg", after_arg)
        """The keyword that gets the last delivered sequence number."""

    def follow_up(self, cut: StreamCut) -> FollowUp:
        response_id: str | None = None
        background: object = None
        sequence: int | None = None
        for item in cut.delivered:
            number = getattr(item, "sequence_number", None)
            if isinstance(number, int):
                sequence = number
            response = getattr(item, "response", None)
            found = getattr(response, "id", None)
            if isinstance(found, str):
                response_id = found
                background = getattr(response, "background", None)
        if response_id is None:
            return FollowUp.declined(
                "no response id was delivered (yield the stream's events, response.created first)"
            )
        if background is not True:
            return FollowUp.declined("the response was not created with background=True")
        if sequence is None:
            return FollowUp.declined("the delivered events carry no sequence numbers")
        kwargs = {**cut.kwargs, self.id_arg: response_id, self.after_arg: sequence}
        return FollowUp(cut.args, kwargs)


_THINKING = frozenset({"thinking", "redacted_thinking", "thinking_delta", "signature_delta"})
_TOOLS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use", "input_json_delta"})
# Events an Anthropic stream sends once (one text block): the follow-up's copy of each one the
# caller already had is dropped.
_ONCE = frozenset(
    {"message_start", "content_block_start", "ping", "content_block_stop", "message_delta"}
)


class AnthropicPrefill(Continuation):
    """Continue an Anthropic Messages stream from the delivered text as an assistant prefill.

    The follow-up is the same call with the delivered text appended as the last
    ``{"role": "assistant", "content": ...}`` message of the keyword argument *messages* (added
    to an assistant message the call already ended with). A new generation, not an exact
    replay: the delivered text is never repeated, and what follows is the model's continuation
    of it. The prefill drops trailing whitespace (the API refuses it); the whitespace already
    delivered is trimmed from the start of the continuation, so the joined text reads as one.
    The follow-up's copy of an event sent once per message (``message_start``,
    ``content_block_start``, ``ping``, ``content_block_stop``, ``message_delta``) is dropped
    when the caller already had it, so the caller sees one message.

    Declines with extended thinking (``thinking=`` enabled, or thinking blocks delivered), when a
    tool call was delivered, after ``message_stop``, and for a model that refused a prefill
    before: a 400 saying the model does not support prefill (Claude 4.6 and later) ends the
    continuation, re-raises the original failure with the reason in its note, and the model is
    remembered (per instance) so it is not asked again.
    """

    def __init__(self, *, messages: str = "messages") -> None:
        self.messages_arg: str = check_name("messages", messages)
        """The keyword argument holding the conversation."""
        self._refusing: set[str] = set()
        self._lock = threading.Lock()

    def refusing(self) -> frozenset[str]:
        """The models that refused a prefill so far."""
        with self._lock:
            return frozenset(self._refusing)

    def follow_up(self, cut: StreamCut) -> FollowUp:
        messages = cut.kwargs.get(self.messages_arg)
        if not isinstance(messages, Sequence) or isinstance(messages, (str, bytes)):
            return FollowUp.declined(f"the call has no {self.messages_arg}= list")
        model = cut.kwargs.get("model")
        with self._lock:
            if isinstance(model, str) and model in self._refusing:
                return FollowUp.declined(f"model {model} does not support assistant prefill")
        thinking = cut.kwargs.get("thinking")
        if isinstance(thinking, Mapping) and thinking.get("type") == "enabled":
            return FollowUp.declined("extended thinking is on (prefill is refused with it)")
        read = _read(cut.delivered)
        if isinstance(read, str):
            return FollowUp.declined(read)
        text, preamble = read
        history = list(messages)
        if history and _role(history[-1]) == "assistant":
            earlier = _text_of(history.pop())
            if earlier is None:
                return FollowUp.declined("the call ends with a non-text assistant message")
            text = earlier + text
        prefill = text.rstrip()
        if prefill:
            history.append({"role": "assistant", "content": prefill})
        kwargs = {**cut.kwargs, self.messages_arg: history}
        trim = _Trim(text[len(prefill) :], preamble)
        return FollowUp(cut.args, kwargs, adapt=trim)

    def refused(self, cut: StreamCut, error: BaseException) -> str | None:
        if getattr(error, "status_code", None) != 400 or "prefill" not in str(error).lower():
            return None
        model = cut.kwargs.get("model")
        if not isinstance(model, str):
            return "the model does not support assistant message prefill"
        with self._lock:
            self._refusing.add(model)
        return f"model {model} does not support assistant message prefill"


def _role(message: object) -> object:
    if isinstance(message, Mapping):
        return message.get("role")
    return getattr(message, "role", None)


def _text_of(message: object) -> str | None:
    content = message.get("content") if isinstance(message, Mapping) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for block in content:
            if not isinstance(block, Mapping) or block.get("type") != "text":
                return None
            parts.append(str(block.get("text", "")))
        return "".join(parts)
    return None


def _read(delivered: Iterable[Any]) -> tuple[str, set[str]] | str:
    """(the delivered text, the once-only events delivered), or why not to continue."""
    text: list[str] = []
    preamble: set[str] = set()
    for item in delivered:
        if isinstance(item, str):
            text.append(item)
            continue
        kind = getattr(item, "type", None)
        if kind in _ONCE:
            preamble.add(kind)
        elif kind == "message_stop":
            return "the message had already ended (message_stop was delivered)"
        block = getattr(item, "content_block", None) or getattr(item, "delta", None)
        part = getattr(block, "type", None)
        if part in _THINKING:
            return "extended thinking was delivered (prefill is refused with it)"
        if part in _TOOLS:
            return "a tool call was delivered"
        if kind == "content_block_delta" and part == "text_delta":
            text.append(str(getattr(block, "text", "")))
    return "".join(text), preamble


class _Trim:
    """A follow-up's items: the repeated preamble dropped, the delivered whitespace trimmed."""

    def __init__(self, overlap: str, preamble: set[str]) -> None:
        self.overlap = overlap
        self.preamble = preamble  # what the caller already had: dropped once from the follow-up

    def __call__(self, item: Any) -> Iterable[Any]:
        if isinstance(item, str):
            kept = self._text(item)
            return (kept,) if kept else ()
        kind = getattr(item, "type", None)
        if kind in self.preamble:
            self.preamble.discard(kind)
            return ()
        delta: Any = getattr(item, "delta", None)
        if kind != "content_block_delta" or getattr(delta, "type", None) != "text_delta":
            return (item,)
        text = str(getattr(delta, "text", ""))
        kept = self._text(text)
        if kept == text:
            return (item,)
        if not kept:
            return ()
        fresh = delta.model_copy(update={"text": kept})
        return (item.model_copy(update={"delta": fresh}),)

    def _text(self, text: str) -> str:
        overlap = self.overlap
        if not overlap:
            return text
        same = 0
        while same < min(len(overlap), len(text)) and overlap[same] == text[same]:
            same += 1
        if same == len(text):  # all of it was delivered already
            self.overlap = overlap[same:]
            return ""
        self.overlap = ""
        rest = text[same:]
        return rest if same == len(overlap) else rest.lstrip()
