"""Secrets of every shape the redaction knows, in realistic messages (one seeded generator)."""

from __future__ import annotations

import base64
import random
import string

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


class Draw:
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


def leak(seed: int) -> tuple[str, str]:
    """(the secret text that must not survive, a realistic message carrying it)."""
    draw = Draw(seed)
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
        return aws_leak(draw, shape, before, after)
    key = draw.known_key()
    return key, f"{before} {key} {after}"


def aws_leak(draw: Draw, shape: int, before: str, after: str) -> tuple[str, str]:
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
