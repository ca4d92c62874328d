"""FakeLLMServer answers that use a seeded share of each request's ``max_tokens``: the text, the
``usage`` (plain and streamed) on every provider's route, and what ``RateLimits`` counts."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from resilience_kit.exceptions import ConfigurationError
from resilience_kit.testing import FakeLLMServer, OutputShare, RateLimits, no_wait

pytestmark = pytest.mark.integration
MODEL_ID = "anthropic.claude-3-5-haiku-20241022-v1:0"
USER: Any = [{"role": "user", "content": "hi"}]


def words(text: str | None) -> int:
    return len((text or "").split())


def test_openai_plain_and_streamed_answers_use_a_share_of_max_tokens() -> None:
    """Chat Completions: the text has as many words as usage says, 1..max_tokens, and varies;
    max_completion_tokens is read too; the record keeps the text."""
    with FakeLLMServer(output=OutputShare(seed=7)) as server, server.openai_client() as client:
        counts = []
        for _ in range(6):
            answer = client.chat.completions.create(model="m", messages=USER, max_tokens=50)
            assert answer.usage is not None
            text = answer.choices[0].message.content
            assert answer.usage.completion_tokens == words(text)
            counts.append(words(text))
        assert all(1 <= n <= 50 for n in counts)
        assert len(set(counts)) > 1  # a random share, not a fixed answer
        answer = client.chat.completions.create(model="m", messages=USER, max_completion_tokens=400)
        assert answer.usage is not None
        assert 6 < answer.usage.completion_tokens <= 400  # the fixed reply has 3 words
        stream = client.chat.completions.create(
            model="m",
            messages=USER,
            max_tokens=80,
            stream=True,
            stream_options={"include_usage": True},
        )
        text, usage = "", None
        for chunk in stream:
            text += "".join(choice.delta.content or "" for choice in chunk.choices)
            usage = chunk.usage or usage
        assert usage is not None
        assert usage.completion_tokens == words(text)
        records = server.requests
        assert [words(r.reply) for r in records[:6]] == counts
        assert text == records[-1].reply


def test_the_same_seed_gives_the_same_answers_and_reset_starts_again() -> None:
    """Seeded: two servers with one seed answer the same lengths; reset() replays the draws."""

    def lengths(server: FakeLLMServer) -> list[int]:
        with server.openai_client() as client:
            answers = [
                client.chat.completions.create(model="m", messages=USER, max_tokens=100)
                for _ in range(5)
            ]
        return [words(answer.choices[0].message.content) for answer in answers]

    with FakeLLMServer(output=OutputShare(0.2, 0.9, seed=3)) as one:
        first = lengths(one)
        one.reset()
        assert first == lengths(one)
    with FakeLLMServer(output=OutputShare(0.2, 0.9, seed=3)) as two:
        assert first == lengths(two)
    assert all(20 <= n <= 90 for n in first)
    with FakeLLMServer(output=OutputShare(0.2, 0.9, seed=4)) as other:
        assert first != lengths(other)


def test_share_bounds_and_requests_without_max_tokens() -> None:
    """high=1 uses all of max_tokens, low=high=0 one token; no max_tokens: the fixed reply."""
    with FakeLLMServer(output=OutputShare(1.0, 1.0)) as server, server.openai_client() as client:
        full = client.chat.completions.create(model="m", messages=USER, max_tokens=37)
        assert full.usage is not None
        assert 37 == full.usage.completion_tokens == words(full.choices[0].message.content)
        plain = client.chat.completions.create(model="m", messages=USER)
        assert server.reply == plain.choices[0].message.content
        server.set_output(OutputShare(0.0, 0.0))
        least = client.chat.completions.create(model="m", messages=USER, max_tokens=500)
        assert least.usage is not None
        assert 1 == least.usage.completion_tokens == words(least.choices[0].message.content)
        server.set_output(None)
        again = client.chat.completions.create(model="m", messages=USER, max_tokens=500)
        assert server.reply == again.choices[0].message.content


def test_anthropic_plain_and_streamed_usage_match_the_text() -> None:
    """Messages API: output_tokens equals the words of the text, plain and streamed."""
    with (
        FakeLLMServer(output=OutputShare(0.5, 1.0, seed=1)) as server,
        server.anthropic_client() as client,
    ):
        message = client.messages.create(model="claude-3-5-haiku", max_tokens=60, messages=USER)
        text = "".join(block.text for block in message.content if block.type == "text")
        assert message.usage.output_tokens == words(text)
        assert 30 <= words(text) <= 60
        with client.messages.stream(
            model="claude-3-5-haiku", max_tokens=90, messages=USER
        ) as stream:
            streamed = "".join(stream.text_stream)
            final = stream.get_final_message()
        assert final.usage.output_tokens == words(streamed)
        assert 45 <= words(streamed) <= 90


def test_anthropic_prefill_continues_the_same_text() -> None:
    """A prefill cut from an earlier answer is continued: prefill + continuation is one answer."""
    with (
        FakeLLMServer(output=OutputShare(0.0, 0.1, seed=2)) as server,
        server.anthropic_client() as client,
    ):
        first = client.messages.create(model="claude-3-5-haiku", max_tokens=200, messages=USER)
        text = "".join(block.text for block in first.content if block.type == "text")
        prefill = text[: len(text) // 2].rstrip()
        follow = client.messages.create(
            model="claude-3-5-haiku",
            max_tokens=200,
            messages=[*USER, {"role": "assistant", "content": prefill}],
        )
        rest = "".join(block.text for block in follow.content if block.type == "text")
        assert follow.usage.output_tokens == words(rest)
        assert (prefill + rest).startswith(text[: len(prefill)])


def test_responses_api_reads_max_output_tokens_and_retrieve_replays_the_text() -> None:
    """Responses: max_output_tokens sets the length; a retrieve replays the created text."""
    with FakeLLMServer(output=OutputShare(seed=5)) as server, server.openai_client() as client:
        created = client.responses.create(model="gpt-4o", input="hi", max_output_tokens=70)
        assert created.usage is not None
        assert created.usage.output_tokens == words(created.output_text)
        assert 1 <= created.usage.output_tokens <= 70
        again = client.responses.retrieve(created.id)
        assert created.output_text == again.output_text
        stream = client.responses.create(
            model="gpt-4o", input="hi", max_output_tokens=70, stream=True
        )
        deltas, usage = "", None
        for event in stream:
            if event.type == "response.output_text.delta":
                deltas += event.delta
            elif event.type == "response.completed":
                usage = event.response.usage
        assert usage is not None
        assert usage.output_tokens == words(deltas)


def test_gemini_reads_max_output_tokens_plain_and_streamed() -> None:
    """Gemini: generationConfig.maxOutputTokens; candidatesTokenCount equals the words."""
    config: Any = {"max_output_tokens": 40}
    with FakeLLMServer(output=OutputShare(0.5, 1.0, seed=9)) as server:
        client = server.gemini_client()
        answer = client.models.generate_content(model="gemini-x", contents="hi", config=config)
        assert answer.usage_metadata is not None
        assert answer.usage_metadata.candidates_token_count == words(answer.text)
        assert 20 <= words(answer.text) <= 40
        chunks = list(
            client.models.generate_content_stream(model="gemini-x", contents="hi", config=config)
        )
        text = "".join(chunk.text or "" for chunk in chunks)
        last = chunks[-1].usage_metadata
        assert last is not None
        assert last.candidates_token_count == words(text)


def test_bedrock_converse_and_invoke_read_their_max_tokens() -> None:
    """Bedrock: Converse's inferenceConfig.maxTokens (plain, stream), invoke's max_tokens."""
    messages: Any = [{"role": "user", "content": [{"text": "hi"}]}]
    with FakeLLMServer(output=OutputShare(0.5, 1.0, seed=11)) as server:
        client = server.bedrock_client()
        answer = client.converse(
            modelId=MODEL_ID, messages=messages, inferenceConfig={"maxTokens": 30}
        )
        text = answer["output"]["message"]["content"][0]["text"]
        assert answer["usage"]["outputTokens"] == words(text)
        assert 15 <= words(text) <= 30
        events = list(
            client.converse_stream(
                modelId=MODEL_ID, messages=messages, inferenceConfig={"maxTokens": 30}
            )["stream"]
        )
        streamed = "".join(
            e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
        )
        usage = next(e["metadata"]["usage"] for e in events if "metadata" in e)
        assert usage["outputTokens"] == words(streamed)
        body = json.dumps({"max_tokens": 24, "messages": [{"role": "user", "content": "hi"}]})
        invoked = json.loads(client.invoke_model(modelId=MODEL_ID, body=body)["body"].read())
        assert invoked["usage"]["output_tokens"] == words(invoked["content"][0]["text"])
        assert 12 <= invoked["usage"]["output_tokens"] <= 24


def test_anthropic_output_limit_gets_back_what_the_answer_did_not_use() -> None:
    """RateLimits counts the answer's real output: the output bucket gets back max_tokens - used."""
    limits = RateLimits(requests=100, tokens=100_000, output_tokens=10_000, period=86_400.0)
    with (
        no_wait(),
        FakeLLMServer(limits=limits, output=OutputShare(seed=13)) as server,
        server.anthropic_client() as client,
    ):
        used = 0
        for _ in range(4):
            raw = client.messages.with_raw_response.create(
                model="claude-3-5-haiku", max_tokens=500, messages=USER
            )
            message = raw.parse()
            text = "".join(block.text for block in message.content if block.type == "text")
            assert message.usage.output_tokens == words(text)
            # An answer's headers show its own max_tokens held; earlier answers kept what they used.
            remaining = int(raw.headers["anthropic-ratelimit-output-tokens-remaining"])
            assert math.isclose(10_000 - used - 500, remaining, abs_tol=1)  # ~0 refill meanwhile
            used += message.usage.output_tokens
        assert used > 4 * 3  # more than four fixed replies


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"low": -0.1}, "low"),
        ({"high": 1.5}, "high"),
        ({"low": float("nan")}, "low"),
        ({"high": "1"}, "high"),
        ({"low": True}, "low"),
        ({"low": 0.8, "high": 0.2}, "low"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_output_share_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    """Bad bounds or seed: a ConfigurationError naming the field and the allowed range."""
    with pytest.raises(ConfigurationError) as caught:
        OutputShare(**kwargs)
    assert field == caught.value.field
    assert "must be" in str(caught.value)


def test_output_must_be_an_output_share() -> None:
    """FakeLLMServer(output=...) takes an OutputShare or None."""
    with pytest.raises(ConfigurationError, match="output: must be an OutputShare or None"):
        FakeLLMServer(output=0.5)  # type: ignore[arg-type]
