"""Headers of scripted answers: what HTTP can carry is sent, anything else is refused when the
fault is built, naming the header and never echoing its value."""

from __future__ import annotations

import openai
import pytest

from resilience_kit.exceptions import ConfigurationError
from resilience_kit.testing import FakeLLMServer, Fault

pytestmark = pytest.mark.integration
MESSAGES: list[dict[str, str]] = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("caf\u00e9 \u2615 s3cret", "a character outside Latin-1 at position 5"),
        ("s3cret\r\nx-injected: 1", "a line break or NUL at position 6"),
        ("s3cret\x00", "a line break or NUL at position 6"),
    ],
)
def test_a_header_value_http_cannot_carry_is_refused_at_construction(value: str, what: str) -> None:
    """Non-Latin-1 text or a line break: ConfigurationError naming the header; no value leaks."""
    with pytest.raises(ConfigurationError) as caught:
        Fault.status(429, headers={"x-note": value})
    assert "headers['x-note']" == caught.value.field
    assert what in str(caught.value)
    assert "Latin-1" in str(caught.value)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("name", ["bad name", "x-caf\u00e9", ""])
def test_a_header_name_that_is_not_a_token_is_refused(name: str) -> None:
    """Header names are HTTP tokens."""
    with pytest.raises(ConfigurationError, match="headers: names must be HTTP tokens"):
        Fault.status(503, headers={name: "1"})


def test_a_fault_built_directly_is_checked_when_scripted(rk_fake_llm: FakeLLMServer) -> None:
    """A Fault made without Fault.status() is checked by script(), enqueue() and set_outage()."""
    fault = Fault("status", status_code=503, headers={"x-note": "\u2615"})
    for use in (rk_fake_llm.script, rk_fake_llm.enqueue, rk_fake_llm.set_outage):
        with pytest.raises(ConfigurationError, match=r"headers\['x-note'\]: must be Latin-1"):
            use(fault)
    assert 0 == rk_fake_llm.pending()


def test_latin1_header_values_reach_the_client(rk_fake_llm: FakeLLMServer) -> None:
    """Latin-1 text (beyond ASCII) is what HTTP carries: the client reads it back."""
    rk_fake_llm.script(Fault.status(429, headers={"x-note": "caf\u00e9", "retry-after": "1"}))
    with (
        rk_fake_llm.openai_client() as client,
        pytest.raises(openai.RateLimitError) as caught,
    ):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert "caf\u00e9" == caught.value.response.headers["x-note"]
