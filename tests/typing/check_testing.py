"""Checked by ``mypy --strict``, never executed: the testing helpers' types."""

from __future__ import annotations

import anthropic
import openai
from google import genai
from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
from typing_extensions import assert_type

from resilience_kit.testing import FakeLLMServer, Fault, RecordedRequest

with FakeLLMServer(reply="hi", chunks=2, rate_limit=(5.0, 10)) as server:
    assert_type(server, FakeLLMServer)
    assert_type(server.url, str)
    assert_type(server.openai_client(), openai.OpenAI)
    assert_type(server.async_openai_client(timeout=1.0), openai.AsyncOpenAI)
    assert_type(server.anthropic_client(), anthropic.Anthropic)
    assert_type(server.async_anthropic_client(), anthropic.AsyncAnthropic)
    server.script(Fault.status(429, headers={"retry-after": "1"}), Fault.drop())
    server.enqueue(Fault.stream_error(after=1), provider="anthropic")
    server.set_outage(503)
    server.set_outage(Fault.delay(1.0))
    server.set_rate_limit(None)
    assert_type(server.requests, list[RecordedRequest])
    assert_type(server.hits("/v1/messages"), int)
    assert_type(server.requests[0].status, "int | None")
    assert_type(server.azure_openai_client(), openai.AzureOpenAI)
    assert_type(server.gemini_client(timeout=1.0), genai.Client)
    assert_type(server.bedrock_client(timeout=1.0), BedrockRuntimeClient)
    server.enqueue(Fault.status(429, details=[{"@type": "x"}]), provider="gemini")
    server.enqueue(Fault.stream_error(type="throttlingException"), provider="bedrock")
    server.script(provider="azure")  # type: ignore[arg-type]
    server.script(429)  # type: ignore[arg-type]
    Fault.status("429")  # type: ignore[arg-type]
