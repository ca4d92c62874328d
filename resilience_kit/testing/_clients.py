"""Real SDK clients pointed at a ``FakeLLMServer``, with the SDKs' own retries switched off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import anthropic
    import openai
    from google import genai
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

__all__ = ["ClientFactories"]

AZURE_API_VERSION = "2024-10-21"


class ClientFactories:
    """Client constructors of ``FakeLLMServer`` (SDKs are imported only when called)."""

    @property
    def url(self) -> str:  # pragma: no cover - provided by FakeLLMServer
        raise NotImplementedError

    @property
    def openai_url(self) -> str:
        """``url + "/v1"``: the ``base_url`` for OpenAI clients."""
        return self.url + "/v1"

    def _keep(self, client: Any) -> None:  # pragma: no cover - provided by FakeLLMServer
        raise NotImplementedError

    def openai_client(self, **options: Any) -> openai.OpenAI:
        """An ``openai.OpenAI`` for this server (``max_retries=0``, dummy key; override freely).

        Closed by `stop()` if still open (async clients: close them yourself).
        """
        import openai

        options = {"api_key": "sk-fake-llm-server", "max_retries": 0, **options}
        if "http_client" not in options:  # plain HTTP on loopback: skip loading CA certificates
            options["http_client"] = openai.DefaultHttpxClient(verify=False)
        client = openai.OpenAI(base_url=self.openai_url, **options)
        self._keep(client)
        return client

    def async_openai_client(self, **options: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` for this server (``max_retries=0``, dummy key)."""
        import openai

        options = {"api_key": "sk-fake-llm-server", "max_retries": 0, **options}
        if "http_client" not in options:  # plain HTTP on loopback: skip loading CA certificates
            options["http_client"] = openai.DefaultAsyncHttpxClient(verify=False)
        return openai.AsyncOpenAI(base_url=self.openai_url, **options)

    def azure_openai_client(self, **options: Any) -> openai.AzureOpenAI:
        """An ``openai.AzureOpenAI`` for this server: Azure paths
        ``/openai/deployments/{deployment}/chat/completions?api-version=...``, ``max_retries=0``."""
        import openai

        options = {
            "api_key": "fake-azure-key",
            "api_version": AZURE_API_VERSION,
            "max_retries": 0,
            **options,
        }
        if "http_client" not in options:  # plain HTTP on loopback: skip loading CA certificates
            options["http_client"] = openai.DefaultHttpxClient(verify=False)
        client = openai.AzureOpenAI(azure_endpoint=self.url, **options)
        self._keep(client)
        return client

    def anthropic_client(self, **options: Any) -> anthropic.Anthropic:
        """An ``anthropic.Anthropic`` for this server (``max_retries=0``, dummy key); see above."""
        import anthropic

        options = {"api_key": "sk-ant-fake-llm-server", "max_retries": 0, **options}
        if "http_client" not in options:  # plain HTTP on loopback: skip loading CA certificates
            options["http_client"] = anthropic.DefaultHttpxClient(verify=False)
        client = anthropic.Anthropic(base_url=self.url, **options)
        self._keep(client)
        return client

    def async_anthropic_client(self, **options: Any) -> anthropic.AsyncAnthropic:
        """An ``anthropic.AsyncAnthropic`` for this server (``max_retries=0``, dummy key)."""
        import anthropic

        options = {"api_key": "sk-ant-fake-llm-server", "max_retries": 0, **options}
        if "http_client" not in options:  # plain HTTP on loopback: skip loading CA certificates
            options["http_client"] = anthropic.DefaultAsyncHttpxClient(verify=False)
        return anthropic.AsyncAnthropic(base_url=self.url, **options)

    def gemini_client(self, *, timeout: float | None = None, **options: Any) -> genai.Client:
        """A ``google.genai.Client`` for this server with the SDK's retries off
        (``HttpRetryOptions(attempts=1)``); *timeout* in seconds (the SDK takes milliseconds)."""
        from google import genai
        from google.genai import types

        http_options = types.HttpOptions(
            base_url=self.url,
            retry_options=types.HttpRetryOptions(attempts=1),
            timeout=None if timeout is None else int(timeout * 1000),
        )
        options = {"api_key": "fake-gemini-key", "http_options": http_options, **options}
        client = genai.Client(**options)
        self._keep(client)
        return client

    def bedrock_client(
        self, *, timeout: float | None = None, **options: Any
    ) -> BedrockRuntimeClient:
        """A boto3 ``bedrock-runtime`` client for this server, botocore's retries off
        (``total_max_attempts=1``), dummy credentials; *timeout* is the read timeout in seconds."""
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"total_max_attempts": 1},
            read_timeout=60 if timeout is None else timeout,
            connect_timeout=5,
        )
        options = {
            "region_name": "us-east-1",
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
            "config": config,
            **options,
        }
        client: BedrockRuntimeClient = boto3.client(
            "bedrock-runtime", endpoint_url=self.url, **options
        )
        self._keep(client)
        return client
