"""FakeLLMServer's Gemini, Bedrock and Azure routes: records, defaults, rate-limit mode, checks."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from google.genai import errors as genai_errors

from resilience_kit import ConfigurationError
from resilience_kit.testing import FakeLLMServer, Fault, no_wait
from resilience_kit.testing._wire_bedrock import invoke_events

pytestmark = pytest.mark.integration
MODEL_ID = "anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES: Any = [{"role": "user", "content": [{"text": "hi"}]}]


def test_gemini_requests_are_recorded_with_model_and_stream_flag(
    rk_fake_llm: FakeLLMServer,
) -> None:
    """Plain and streamed Gemini calls: provider, model from the path, stream from the method."""
    client = rk_fake_llm.gemini_client()
    assert rk_fake_llm.reply == client.models.generate_content(model="gemini-x", contents="hi").text
    chunks = [
        c.text for c in client.models.generate_content_stream(model="gemini-x", contents="hi")
    ]
    assert rk_fake_llm.reply == "".join(text or "" for text in chunks)
    plain, streamed = rk_fake_llm.requests
    assert ("gemini", "gemini-x", False, 200) == (
        plain.provider,
        plain.model,
        plain.stream,
        plain.status,
    )
    assert ("gemini", True) == (streamed.provider, streamed.stream)
    assert streamed.path.endswith(":streamGenerateContent?alt=sse")
    assert "***" == plain.headers["x-goog-api-key"]  # the key is never recorded


def test_bedrock_routes_decode_the_model_id(rk_fake_llm: FakeLLMServer) -> None:
    """Converse, ConverseStream, InvokeModel and its stream: model ids decoded, answers parsed."""
    client = rk_fake_llm.bedrock_client()
    reply = client.converse(modelId=MODEL_ID, messages=MESSAGES)
    assert rk_fake_llm.reply == reply["output"]["message"]["content"][0]["text"]
    events = list(client.converse_stream(modelId=MODEL_ID, messages=MESSAGES)["stream"])
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    assert rk_fake_llm.reply == text
    assert {"messageStart", "messageStop", "metadata"} <= {key for e in events for key in e}
    body = json.loads(client.invoke_model(modelId=MODEL_ID, body=b"{}")["body"].read())
    assert rk_fake_llm.reply == body["content"][0]["text"]
    chunks = client.invoke_model_with_response_stream(modelId=MODEL_ID, body=b"{}")["body"]
    deltas = [json.loads(c["chunk"]["bytes"]) for c in chunks]
    assert rk_fake_llm.reply == "".join(d["delta"]["text"] for d in deltas if "delta" in d)
    assert [MODEL_ID] * 4 == [r.model for r in rk_fake_llm.requests]
    assert [False, True, False, True] == [r.stream for r in rk_fake_llm.requests]
    assert all(r.provider == "bedrock" for r in rk_fake_llm.requests)
    assert "***" == rk_fake_llm.requests[0].headers["authorization"]


def test_event_stream_chunk_payload_is_base64_json() -> None:
    """InvokeModelWithResponseStream chunks carry the model's own events as base64 JSON."""
    head, body, tail = invoke_events("r", "anthropic.m", ["a", "b"], 1)
    assert (1, 2, 1) == (len(head), len(body), len(tail))
    assert base64.b64encode(b'{"type":"message_stop"}') in tail[0]


def test_stream_error_on_a_plain_request_gets_the_matching_status(
    rk_fake_llm: FakeLLMServer,
) -> None:
    """A stream_error fault on a non-streaming call: Gemini 503 UNAVAILABLE, Bedrock 424."""
    rk_fake_llm.script(Fault.stream_error(), provider="gemini")
    with pytest.raises(genai_errors.ServerError) as gemini:
        rk_fake_llm.gemini_client().models.generate_content(model="m", contents="hi")
    assert (503, "UNAVAILABLE") == (gemini.value.code, gemini.value.status)
    rk_fake_llm.script(Fault.stream_error(), provider="bedrock")
    with pytest.raises(ClientError) as bedrock:
        rk_fake_llm.bedrock_client().converse(modelId=MODEL_ID, messages=MESSAGES)
    error = bedrock.value.response
    assert 424 == error["ResponseMetadata"]["HTTPStatusCode"]
    assert "ModelStreamErrorException" == error["Error"]["Code"]
    assert [503, 424] == [r.status for r in rk_fake_llm.requests]


def test_rate_limit_mode_speaks_each_provider() -> None:
    """An empty bucket: Gemini 429 with RetryInfo and QuotaFailure, Bedrock a bare throttle."""
    with no_wait(), FakeLLMServer(rate_limit=(0.5, 1)) as server:
        gemini = server.gemini_client()
        gemini.models.generate_content(model="m", contents="hi")
        with pytest.raises(genai_errors.ClientError) as limited:
            gemini.models.generate_content(model="m", contents="hi")
        details = limited.value.details["error"]["details"]
        assert {
            "type.googleapis.com/google.rpc.QuotaFailure",
            "type.googleapis.com/google.rpc.RetryInfo",
        } == {d["@type"] for d in details}
        with pytest.raises(ClientError) as throttled:
            server.bedrock_client().converse(modelId=MODEL_ID, messages=MESSAGES)
        assert "ThrottlingException" == throttled.value.response["Error"]["Code"]
        headers = throttled.value.response["ResponseMetadata"]["HTTPHeaders"]
        assert "retry-after" not in headers
        assert ["ok", "rate_limited", "rate_limited"] == [r.outcome for r in server.requests]


def test_provider_queues_and_outages_are_separate(rk_fake_llm: FakeLLMServer) -> None:
    """A Gemini outage leaves Bedrock and Azure answering."""
    rk_fake_llm.set_outage(503, provider="gemini")
    with pytest.raises(genai_errors.ServerError):
        rk_fake_llm.gemini_client().models.generate_content(model="m", contents="hi")
    rk_fake_llm.bedrock_client().converse(modelId=MODEL_ID, messages=MESSAGES)
    azure = rk_fake_llm.azure_openai_client()
    reply = azure.chat.completions.create(model="dep", messages=[{"role": "user", "content": "x"}])
    assert rk_fake_llm.reply == reply.choices[0].message.content
    assert ["gemini", "bedrock", "openai"] == [r.provider for r in rk_fake_llm.requests]
    assert [503, 200, 200] == [r.status for r in rk_fake_llm.requests]


@pytest.mark.parametrize("details", ["RetryInfo", [1], ({"ok": 1}, "x")])
def test_fault_details_must_be_dicts(details: object) -> None:
    """``details`` that are not a list of dicts fail at construction, naming the field."""
    with pytest.raises(ConfigurationError, match="details"):
        Fault.status(429, details=details)  # type: ignore[arg-type]


def test_unknown_provider_names_every_known_one(rk_fake_llm: FakeLLMServer) -> None:
    """A wrong provider name is refused with the list of valid ones."""
    with pytest.raises(ConfigurationError, match="'gemini', 'bedrock'"):
        rk_fake_llm.script(Fault.ok(), provider="vertex")  # type: ignore[arg-type]
