"""No secret of any known shape survives any surface: messages, to_dict(), hooks, batches."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx2
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import resilience_kit as rk
from resilience_kit._redact import redact, redact_headers
from resilience_kit.testing import no_wait
from tests.unit.secret_shapes import Draw, leak


def _surfaces(message: str) -> Iterator[str]:
    classification = rk.classify(RuntimeError(message))
    yield classification.message
    yield json.dumps(classification.to_dict())
    yield redact(message)


@settings(
    max_examples=10_000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.integers(min_value=0, max_value=2**64))
def test_no_secret_survives_any_surface(seed: int) -> None:
    """Every generated secret, in a realistic message, is gone from every surface."""
    secret, message = leak(seed)
    assume(message.count(secret) == 1)  # the words around it did not happen to repeat it
    for surface in _surfaces(message):
        assert secret not in surface


@given(st.integers(min_value=0, max_value=2**64))
def test_secret_headers_are_redacted(seed: int) -> None:
    """Credential headers, x-goog-api-key included, never keep their value."""
    secret = Draw(seed).key()
    headers = {
        "Authorization": f"Bearer {secret}",
        "x-goog-api-key": secret,
        "x-api-key": secret,
        "proxy-authorization": f"Basic {secret}",
    }
    assert all(secret not in value for value in redact_headers(headers).values())


SAMPLES = [
    "Incorrect API key provided: sk-proj-abcdefghijklmnop1234",
    "for url 'https://host/v1?key=AIzaSyA1234567890abcdefghijklmnopqrstu'",
    "Authorization: Basic dXNlcjpwYXNzd29yZA==",
    "https://user:hunter2@host/v1",
    "gsk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
    "hf_abcdefghijklmnopqrstuvwxyz01234567",
    "Bearer xyz",
]
SECRETS = ["abcdefghijklmnop1234", "AIzaSyA123", "dXNlcjpwYXNzd29yZA", "hunter2", "gsk_abc"]
SECRETS += ["hf_abc", "Bearer xyz"]


class _LeakyError(Exception):
    pass


def _leaky_map(exc: BaseException) -> rk.ErrorCategory | None:
    return rk.ErrorCategory.RATE_LIMIT if isinstance(exc, _LeakyError) else None


@pytest.fixture(autouse=True)
def _map() -> Iterator[None]:
    unregister = rk.register_exception_map(_leaky_map, name="leaky")
    yield
    unregister()


def test_hook_records_and_batch_failures_carry_no_secret() -> None:
    """AttemptRecords given to hooks and BatchFailures (and their repr) are redacted."""
    records: list[rk.AttemptRecord] = []

    def fail(index: int) -> None:
        raise _LeakyError(SAMPLES[index])

    hooked = rk.retry(max_attempts=2, on_retry=records.append, on_give_up=records.append)(fail)
    with no_wait():
        for index in range(len(SAMPLES)):
            with pytest.raises(_LeakyError):
                hooked(index)
        result = rk.run_batch(fail, range(len(SAMPLES)), rounds=1, progress=False)
    texts = [repr(r) for r in records] + [repr(f) for f in result.failures.values()]
    request = httpx2.Request("GET", "https://api.example.com/v1")
    response = httpx2.Response(429, request=request)
    for sample in SAMPLES:  # httpx puts the URL (and its ?key=) in its messages
        error = httpx2.HTTPStatusError(sample, request=request, response=response)
        texts += [rk.classify(error).message, json.dumps(rk.classify(error).to_dict())]
    texts += [f.classification.message for f in result.failures.values()]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


AWS_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD" + "Zm9v" * 40 + "=="
AWS_SIGNATURE = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
AWS_MESSAGES = [
    "The request signature we calculated does not match the signature you provided.\n\nThe"
    " Canonical String for this request should have been\n'POST\n/model/m/converse\n\nhost:"
    f"bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20250101T000000Z\nx-amz-security-token:"
    f"{AWS_TOKEN}\n\nhost;x-amz-date;x-amz-security-token\n{'0' * 64}'",  # the body's hash
    f"presigned https://b.s3.amazonaws.com/k?X-Amz-Security-Token={AWS_TOKEN}"
    f"&X-Amz-Signature={AWS_SIGNATURE}&X-Amz-SignedHeaders=host",
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/"
    f"bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature={AWS_SIGNATURE}",
]


def test_aws_session_tokens_and_signatures_leave_no_surface() -> None:
    """A Bedrock InvalidSignatureException (a real botocore ClientError) carrying a session token
    or signature: redacted in BatchFailure's repr and str, the classification, log events, hook
    records and exception notes."""
    import botocore.exceptions
    from structlog.testing import capture_logs

    def fail(index: int) -> None:
        raise botocore.exceptions.ClientError(
            {
                "Error": {"Code": "InvalidSignatureException", "Message": AWS_MESSAGES[index]},
                "ResponseMetadata": {"HTTPStatusCode": 403, "HTTPHeaders": {}},
            },
            "Converse",
        )

    records: list[rk.AttemptRecord] = []
    hooked = rk.retry(max_attempts=2, on_retry=records.append, on_give_up=records.append)(fail)
    notes: list[str] = []
    with no_wait(), capture_logs() as logs:
        for index in range(len(AWS_MESSAGES)):
            with pytest.raises(botocore.exceptions.ClientError) as raised:
                hooked(index)
            notes += getattr(raised.value, "__notes__", [])
        result = rk.run_batch(fail, range(len(AWS_MESSAGES)), rounds=1, progress=False)
    assert len(AWS_MESSAGES) == len(result.failures)
    texts = [repr(r) for r in records] + notes + [json.dumps(e, default=str) for e in logs]
    for failure in result.failures.values():
        texts += [repr(failure), str(failure), failure.classification.message]
        texts.append(json.dumps(failure.classification.to_dict()))
    assert any("InvalidSignatureException" in text for text in texts)
    for text in texts:
        assert AWS_TOKEN[:24] not in text
        assert AWS_SIGNATURE[:24] not in text
