"""No secret of any known shape survives any surface: messages, to_dict(), hooks, batches."""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Iterator

import httpx2
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import resilience_kit as rk
from resilience_kit._redact import redact, redact_headers
from resilience_kit.testing import no_wait

ALNUM = string.ascii_letters + string.digits
TOKEN = ALNUM + "-_."
PASSWORD = ALNUM + "._~!$*+-"
UPPER = string.ascii_uppercase + string.digits
WORDS = string.ascii_lowercase + "      "

# The known key shapes: (prefix, alphabet, shortest and longest random part).
KEY_SHAPES = [
    ("sk-", ALNUM, 20, 48),
    ("sk-proj-", ALNUM + "-_", 20, 60),
    ("sk-ant-api03-", ALNUM + "-_", 20, 90),
    ("AIza", ALNUM + "-_", 35, 35),
    ("gsk_", ALNUM, 52, 52),
    ("hf_", ALNUM, 34, 34),
    ("xai-", ALNUM, 20, 80),
    ("pplx-", ALNUM, 20, 48),
    ("r8_", ALNUM, 20, 40),
    ("AKIA", UPPER, 16, 16),
]
QUERY_NAMES = ["key", "api_key", "apikey", "access_token", "token", "sig"]
BASE64 = ALNUM + "+/"
HEX = "0123456789abcdef"
# AWS STS session tokens start with the base64 of a fixed header.
SESSION_TOKEN_HEADS = ["IQoJb3JpZ2luX2Vj", "FwoGZXIvYXdzE", "AQoDYXdzE"]


class _Draw:
    """Strings from one seeded generator: one integer drawn per example keeps hypothesis cheap
    enough for 10,000 examples, and a failure still shrinks to a small seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def chars(self, alphabet: str, low: int, high: int) -> str:
        return "".join(self.rng.choices(alphabet, k=self.rng.randint(low, high)))

    def key(self) -> str:
        if self.rng.random() < 0.2:  # an unknown shape: only its context gives it away
            return self.chars(ALNUM, 8, 40)
        prefix, alphabet, low, high = self.rng.choice(KEY_SHAPES)
        return prefix + self.chars(alphabet, low, high)

    def session_token(self) -> str:
        head = self.rng.choice(SESSION_TOKEN_HEADS)
        return head + self.chars(BASE64, 80, 400) + self.rng.choice(["", "=", "=="])

    def signature(self) -> str:
        return self.chars(HEX, 64, 64)

    def known_key(self) -> str:
        prefix, alphabet, low, high = self.rng.choice(KEY_SHAPES)
        return prefix + self.chars(alphabet, low, high)


def _leak(seed: int) -> tuple[str, str]:
    """(the secret text that must not survive, a realistic message carrying it)."""
    draw = _Draw(seed)
    before, after = draw.chars(WORDS, 0, 30), draw.chars(WORDS, 0, 30)
    shape = draw.rng.randrange(13)
    if shape == 0:
        key = draw.known_key()
        return key, f"Error code: 401 - {{'error': {{'message': 'Incorrect API key: {key}'}}}}"
    if shape == 1:
        key, name = draw.key(), draw.rng.choice(QUERY_NAMES)
        url = f"https://generativelanguage.googleapis.com/v1/models:gen?{name}={key}&alt=sse"
        return key, f"Client error '429 Too Many Requests' for url '{url}'"
    if shape == 2:
        token = draw.chars(TOKEN, 1, 40)
        return f"Bearer {token}", f"{before} Authorization: Bearer {token}\n{after}"
    if shape == 3:
        token = draw.chars(TOKEN, 1, 40)
        return f"Bearer {token}", f"{before} sent Bearer {token} {after}"
    if shape == 4:
        pair = f"{draw.chars(ALNUM, 1, 12)}:{draw.chars(PASSWORD, 1, 24)}".encode()
        b64 = base64.b64encode(pair).decode()
        return b64, f"{before} {{'authorization': 'Basic {b64}'}} {after}"
    if shape == 5:
        user, password = draw.chars(ALNUM, 1, 12), draw.chars(PASSWORD, 1, 24)
        return f":{password}@", f"{before} https://{user}:{password}@proxy.internal:8080/v1 {after}"
    if shape == 6:
        key = draw.key()
        headers = {"x-goog-api-key": key, "content-type": "application/json"}
        return key, f"{before} headers={headers!r} {after}"
    if shape >= 8:
        return _aws_leak(draw, shape, before, after)
    key = draw.known_key()
    return key, f"{before} {key} {after}"


def _aws_leak(draw: _Draw, shape: int, before: str, after: str) -> tuple[str, str]:
    """AWS session tokens and signatures as botocore messages and presigned URLs carry them."""
    token, signature = draw.session_token(), draw.signature()
    if shape == 8:  # InvalidSignatureException: the canonical request, as str() or repr()
        canonical = (
            "POST\n/model/m/converse\n\nhost:bedrock-runtime.us-east-1.amazonaws.com\n"
            f"x-amz-date:20250101T000000Z\nx-amz-security-token:{token}\n\n"
            "host;x-amz-date;x-amz-security-token\n" + draw.signature()
        )
        text = canonical if draw.rng.random() < 0.5 else repr(canonical)
        return token, (
            "An error occurred (InvalidSignatureException) when calling the Converse operation: "
            f"The Canonical String for this request should have been\n'{text}'"
        )
    if shape == 9:  # a presigned URL
        secret = draw.rng.choice([token, signature])
        url = (
            "https://bucket.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Security-Token={token}&X-Amz-Signature={signature}&X-Amz-SignedHeaders=host"
        )
        return secret, f"{before} for url '{url}' {after}"
    if shape == 10:  # a SigV4 Authorization header
        return signature, (
            f"{before} Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/"
            f"us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
            f" {after}"
        )
    if shape == 11:  # a header dict
        headers = {"x-amz-security-token": token, "x-amz-signature": signature}
        secret = draw.rng.choice([token, signature])
        return secret, f"{before} headers={headers!r} {after}"
    return token, f"{before} {token} {after}"  # a bare token


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
    secret, message = _leak(seed)
    assume(message.count(secret) == 1)  # the words around it did not happen to repeat it
    for surface in _surfaces(message):
        assert secret not in surface


@given(st.integers(min_value=0, max_value=2**64))
def test_secret_headers_are_redacted(seed: int) -> None:
    """Credential headers, x-goog-api-key included, never keep their value."""
    secret = _Draw(seed).key()
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
