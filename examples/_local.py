"""Shared by the examples: the real API when its key is set, else a local FakeLLMServer.

Offline, the fake server is scripted with the failures named by each example, so you can watch the
kit handle them without an account. Nothing here is needed in your own code.
"""

from __future__ import annotations

import atexit
import os
from typing import TYPE_CHECKING

from resilience_kit.testing import FakeLLMServer, Fault

if TYPE_CHECKING:  # each client's SDK is imported only by the examples that use it
    import anthropic
    import openai
    from google import genai
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-haiku-4-5"
GEMINI_MODEL = "gemini-2.5-flash"
BEDROCK_MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
_server: FakeLLMServer | None = None


def server() -> FakeLLMServer:
    """The one local fake server of this process (started on first use, stopped at exit)."""
    global _server
    if _server is None:
        _server = FakeLLMServer(reply="Hello from the local FakeLLMServer.").start()
        atexit.register(_server.stop)
    return _server


def offline(provider: str) -> bool:
    """True when no API key is set for *provider* ("openai" or "anthropic")."""
    return not os.environ.get(f"{provider.upper()}_API_KEY")


def openai_client(*faults: Fault) -> openai.OpenAI:
    """The real client when OPENAI_API_KEY is set; else one on the scripted fake server."""
    import openai

    if not offline("openai"):
        return openai.OpenAI(max_retries=0)  # the kit is the only retry layer
    print("(offline: OPENAI_API_KEY is not set, using a local FakeLLMServer)")
    server().enqueue(*faults, provider="openai")
    return server().openai_client()


def async_openai_client(*faults: Fault) -> openai.AsyncOpenAI:
    """Async variant of :func:`openai_client`."""
    import openai

    if not offline("openai"):
        return openai.AsyncOpenAI(max_retries=0)
    print("(offline: OPENAI_API_KEY is not set, using a local FakeLLMServer)")
    server().enqueue(*faults, provider="openai")
    return server().async_openai_client()


def anthropic_client(*faults: Fault) -> anthropic.Anthropic:
    """The real client with ANTHROPIC_API_KEY set; else one on the scripted fake server."""
    import anthropic

    if not offline("anthropic"):
        return anthropic.Anthropic(max_retries=0)
    print("(offline: ANTHROPIC_API_KEY is not set, using a local FakeLLMServer)")
    server().enqueue(*faults, provider="anthropic")
    return server().anthropic_client()


def gemini_client(*faults: Fault) -> genai.Client:
    """The real client when GEMINI_API_KEY is set; else one on the scripted fake server.

    Either way the SDK's own retries are off (``attempts=1``): the kit is the only retry layer.
    """
    from google import genai
    from google.genai import types

    if os.environ.get("GEMINI_API_KEY"):
        no_retries = types.HttpOptions(retry_options=types.HttpRetryOptions(attempts=1))
        return genai.Client(http_options=no_retries)
    print("(offline: GEMINI_API_KEY is not set, using a local FakeLLMServer)")
    server().enqueue(*faults, provider="gemini")
    return server().gemini_client()


def bedrock_client(*faults: Fault) -> BedrockRuntimeClient:
    """The real client when AWS credentials are configured; else one on the fake server.

    Either way botocore's own retries are off (``total_max_attempts=1``).
    """
    import boto3
    from botocore.config import Config

    if any(os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE")):
        no_retries = Config(retries={"total_max_attempts": 1})
        return boto3.client("bedrock-runtime", config=no_retries)
    print("(offline: no AWS credentials in the environment, using a local FakeLLMServer)")
    server().enqueue(*faults, provider="bedrock")
    return server().bedrock_client()
