"""Shared by the examples: the real API when its key is set, else a local FakeLLMServer.

Offline, the fake server is scripted with the failures named by each example, so you can watch the
kit handle them without an account. Nothing here is needed in your own code.
"""

from __future__ import annotations

import atexit
import os
from typing import TYPE_CHECKING

from resilience_kit.testing import FakeLLMServer, Fault

if TYPE_CHECKING:  # each SDK is imported only by the example that uses it
    import anthropic
    import openai

OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-haiku-4-5"
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
    if not offline("openai"):
        import openai

        return openai.OpenAI(max_retries=0)  # the kit is the only retry layer
    print("(offline: OPENAI_API_KEY is not set, using a local FakeLLMServer)")
    server().enqueue(*faults, provider="openai")
    return server().openai_client()


def async_openai_client(*faults: Fault) -> openai.AsyncOpenAI:
    """Async variant of :func:`openai_client`."""
    if not offline("openai"):
        import openai

        return openai.AsyncOpenAI(max_retries=0)
    print("(offline: OPENAI_API_KEY is not set, using a local FakeLLMServer)")
    server().enqueue(*faults, provider="openai")
    return server().async_openai_client()


def anthropic_client(*faults: Fault) -> anthropic.Anthropic:
    """The real client with ANTHROPIC_API_KEY set; else one on the scripted fake server."""
    if not offline("anthropic"):
        import anthropic

        return anthropic.Anthropic(max_retries=0)
    print("(offline: ANTHROPIC_API_KEY is not set, using a local FakeLLMServer)")
    server().enqueue(*faults, provider="anthropic")
    return server().anthropic_client()
