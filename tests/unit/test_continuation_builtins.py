"""The built-in continuations' rules, on the SDKs' own event types (no sockets)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from anthropic.types import (
    InputJSONDelta,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageStopEvent,
    TextBlock,
    TextDelta,
    ThinkingDelta,
    ToolUseBlock,
)

import resilience_kit as rk
from resilience_kit import ErrorCategory

FAILURE = ConnectionError("cut")
FOUND = rk.Classification(category=ErrorCategory.CONNECTION, retryable=True)
CHAT = [{"role": "user", "content": "hi"}]


def _cut(delivered: list[Any], **kwargs: Any) -> rk.StreamCut:
    kwargs.setdefault("model", "claude-sonnet-4-5")
    kwargs.setdefault("messages", CHAT)
    return rk.StreamCut((), kwargs, tuple(delivered), FAILURE, FOUND)


def _delta(text: str) -> RawContentBlockDeltaEvent:
    return RawContentBlockDeltaEvent(
        type="content_block_delta", index=0, delta=TextDelta(type="text_delta", text=text)
    )


def _start() -> RawContentBlockStartEvent:
    return RawContentBlockStartEvent(
        type="content_block_start", index=0, content_block=TextBlock(type="text", text="")
    )


def _relayed(follow: rk.FollowUp, items: list[Any]) -> list[Any]:
    assert follow.adapt is not None
    return [out for item in items for out in follow.adapt(item)]


def test_prefill_is_the_delivered_text_without_trailing_whitespace() -> None:
    """ "Hello, wor" + "ld  " delivered: the prefill drops the spaces; the continuation's copy of
    them is trimmed, so the caller's text reads as one."""
    follow = rk.AnthropicPrefill().follow_up(_cut(["Hello, wor", "ld  "]))
    assert [*CHAT, {"role": "assistant", "content": "Hello, world"}] == follow.kwargs["messages"]
    assert ["and more"] == _relayed(follow, [" ", " and more"])


def test_a_different_whitespace_after_the_cut_is_not_doubled() -> None:
    """The model starts with a newline where a space was delivered: its leading whitespace goes."""
    follow = rk.AnthropicPrefill().follow_up(_cut(["Hello "]))
    assert ["world"] == _relayed(follow, ["\n world"])


def test_events_of_one_message_are_not_repeated() -> None:
    """Raw events: the follow-up's content_block_start is dropped, its deltas trimmed."""
    delivered = [_start(), _delta("Hi "), _delta("there ")]
    follow = rk.AnthropicPrefill().follow_up(_cut(delivered))
    assert "Hi there" == follow.kwargs["messages"][-1]["content"]
    out = _relayed(follow, [_start(), _delta(" friend"), _delta("!")])
    assert ["friend", "!"] == [e.delta.text for e in out]


def test_an_existing_prefill_is_extended() -> None:
    """The call already ended with an assistant message: the delivered text is appended to it."""
    chat = [*CHAT, {"role": "assistant", "content": "{"}]
    follow = rk.AnthropicPrefill().follow_up(_cut(['"a": 1'], messages=chat))
    assert [*CHAT, {"role": "assistant", "content": '{"a": 1'}] == follow.kwargs["messages"]


@pytest.mark.parametrize(
    ("delivered", "options", "reason"),
    [
        ([_delta("x")], {"thinking": {"type": "enabled", "budget_tokens": 1024}}, "thinking"),
        (
            [
                RawContentBlockDeltaEvent(
                    type="content_block_delta",
                    index=0,
                    delta=ThinkingDelta(type="thinking_delta", thinking="hmm"),
                )
            ],
            {},
            "thinking",
        ),
        (
            [
                RawContentBlockStartEvent(
                    type="content_block_start",
                    index=0,
                    content_block=ToolUseBlock(type="tool_use", id="t", name="f", input={}),
                )
            ],
            {},
            "tool call",
        ),
        (
            [
                RawContentBlockDeltaEvent(
                    type="content_block_delta",
                    index=0,
                    delta=InputJSONDelta(type="input_json_delta", partial_json="{"),
                )
            ],
            {},
            "tool call",
        ),
        (
            [
                _delta("x"),
                RawContentBlockStopEvent(type="content_block_stop", index=0),
                RawMessageStopEvent(type="message_stop"),
            ],
            {},
            "already ended",
        ),
        ([_delta("x")], {"messages": "hi"}, "messages= list"),
        (
            [_delta("x")],
            {"messages": [*CHAT, {"role": "assistant", "content": [{"type": "image"}]}]},
            "non-text assistant",
        ),
    ],
)
def test_prefill_declines(delivered: list[Any], options: dict[str, Any], reason: str) -> None:
    """Extended thinking, a tool call, an ended message, no messages list: no follow-up."""
    follow = rk.AnthropicPrefill().follow_up(_cut(delivered, **options))
    assert follow.reason is not None
    assert reason in follow.reason


def test_a_refusing_model_is_remembered() -> None:
    """A 400 about prefill ends the continuation and the model is not asked again."""
    prefill = rk.AnthropicPrefill()
    cut = _cut(["text"], model="claude-opus-4-6")
    refusal = SimpleNamespace(status_code=400)
    error: Any = type("BadRequest", (Exception,), {"status_code": 400})(
        "This model does not support assistant message prefill."
    )
    assert prefill.refused(cut, Exception("other")) is None
    assert prefill.refused(cut, type("E", (Exception,), vars(refusal))("no")) is None
    reason = prefill.refused(cut, error)
    assert reason is not None
    assert "claude-opus-4-6" in reason
    assert frozenset({"claude-opus-4-6"}) == prefill.refusing()
    follow = prefill.follow_up(cut)
    assert follow.reason is not None
    assert "does not support assistant prefill" in follow.reason


def _created(*, background: bool, number: int = 0) -> Any:
    response = SimpleNamespace(id="resp_1", background=background)
    return SimpleNamespace(type="response.created", response=response, sequence_number=number)


def test_background_resumes_after_the_last_sequence_number() -> None:
    """The follow-up names the response and the last delivered sequence number."""
    delta = SimpleNamespace(type="response.output_text.delta", delta="x", sequence_number=4)
    follow = rk.OpenAIBackground().follow_up(_cut([_created(background=True), delta], prompt="p"))
    assert {"response_id": "resp_1", "starting_after": 4} == {
        k: follow.kwargs[k] for k in ("response_id", "starting_after")
    }
    assert "p" == follow.kwargs["prompt"]


@pytest.mark.parametrize(
    ("delivered", "reason"),
    [
        (["text only"], "no response id"),
        ([_created(background=False)], "background=True"),
        (
            [SimpleNamespace(type="x", response=SimpleNamespace(id="r", background=True))],
            "sequence",
        ),
    ],
)
def test_background_declines(delivered: list[Any], reason: str) -> None:
    """No response id, not a background response, no sequence numbers: no follow-up."""
    follow = rk.OpenAIBackground().follow_up(_cut(delivered))
    assert follow.reason is not None
    assert reason in follow.reason


def test_argument_names_are_checked() -> None:
    """The keyword names a built-in fills in are validated at construction."""
    with pytest.raises(rk.ConfigurationError, match="id_arg"):
        rk.OpenAIBackground(id_arg="")
    with pytest.raises(rk.ConfigurationError, match="messages"):
        rk.AnthropicPrefill(messages="")


def test_the_base_class_declines() -> None:
    """A Continuation that overrides nothing never continues."""
    assert rk.Continuation().follow_up(_cut(["x"])).reason is not None
    assert rk.Continuation().refused(_cut(["x"]), FAILURE) is None
