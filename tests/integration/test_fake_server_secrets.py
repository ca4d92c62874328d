"""FakeLLMServer records never keep a credential: not in headers, not in the URL's query."""

from __future__ import annotations

import httpx2
import pytest

from resilience_kit.testing import FakeLLMServer

pytestmark = pytest.mark.integration

GOOGLE_KEY = "AIzaSyA1234567890abcdefghijklmnopqrstu"


def test_google_style_keys_are_redacted_in_records(rk_fake_llm: FakeLLMServer) -> None:
    """x-goog-api-key and ?key= (Gemini's two ways to send a key) are recorded as ***."""
    with httpx2.Client() as client:
        client.post(
            f"{rk_fake_llm.openai_url}/chat/completions?key={GOOGLE_KEY}&alt=sse",
            headers={"x-goog-api-key": GOOGLE_KEY, "x-custom": f"Bearer {GOOGLE_KEY}"},
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        )
    record = rk_fake_llm.requests[-1]
    assert "***" == record.headers["x-goog-api-key"]
    assert GOOGLE_KEY not in repr(record)
    assert GOOGLE_KEY not in repr(dict(record.headers))
    assert record.path.endswith("?key=***&alt=sse")
