"""A wrong value given at construction never brings its credential into the error message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import resilience_kit as rk
from resilience_kit.storage import RedisStorage
from tests.unit.secret_shapes import leak

SECRET = "sk-proj-SUPERSECRET123456"
PASSWORD = "hunter2-not-a-key-shape"

CASES: dict[str, Callable[[], object]] = {
    "RedisStorage(url with a key)": lambda: RedisStorage(f"redis://:{SECRET}@127.0.0.1:1/0"),  # type: ignore[arg-type]
    "RedisStorage(url with a password)": lambda: RedisStorage(f"redis://u:{PASSWORD}@h:1/0"),  # type: ignore[arg-type]
    "RedisStorage(a bare key)": lambda: RedisStorage(SECRET),  # type: ignore[arg-type]
    "RedisStorage(prefix=bytes)": lambda: RedisStorage(redis.Redis(port=1), prefix=SECRET.encode()),  # type: ignore[arg-type]
    "CircuitBreaker(storage=url)": lambda: rk.CircuitBreaker(
        "c",
        storage=f"redis://:{PASSWORD}@127.0.0.1:1/0",  # type: ignore[arg-type]
    ),
    "retry(a key as preset)": lambda: rk.retry(SECRET),
    "TokenLimiter(storage=url)": lambda: rk.TokenLimiter(
        storage=f"redis://:{PASSWORD}@127.0.0.1:1/0",  # type: ignore[arg-type]
    ),
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_construction_errors_carry_no_secret(make: Callable[[], object]) -> None:
    """The refusal names the field, never the credential the wrong value carried."""
    with pytest.raises(rk.ConfigurationError) as caught:
        make()
    message = str(caught.value)
    assert SECRET not in message
    assert "SUPERSECRET" not in message
    assert PASSWORD not in message


def test_redis_url_string_points_to_from_url() -> None:
    """A URL passed as the client is refused by its type, with the way to build a client."""
    with pytest.raises(rk.ConfigurationError) as caught:
        RedisStorage(f"redis://:{SECRET}@127.0.0.1:1/0")  # type: ignore[arg-type]
    assert "client" == caught.value.field
    assert "got a URL string: pass redis.Redis.from_url(url) instead" in str(caught.value)


def test_redis_wrong_type_is_named_not_shown() -> None:
    """Any other wrong client is named by its type."""
    with pytest.raises(rk.ConfigurationError, match=r"got dict$"):
        RedisStorage({"password": PASSWORD})  # type: ignore[arg-type]


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.integers(min_value=0, max_value=2**64))
def test_no_known_secret_shape_survives_a_configuration_error(seed: int) -> None:
    """Every secret shape the redaction knows, echoed back as a wrong preset name, is gone."""
    secret, message = leak(seed)
    assume(message.count(secret) == 1)
    with pytest.raises(rk.ConfigurationError) as caught:
        rk.retry(message)
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda: rk.CircuitBreaker(PASSWORD.encode()),  # type: ignore[arg-type]
        lambda: rk.RateLimitGate(PASSWORD.encode()),  # type: ignore[arg-type]
        lambda: RedisStorage(redis.Redis(port=1), prefix=PASSWORD.encode()),  # type: ignore[arg-type]
    ],
)
def test_a_wrong_typed_name_is_named_by_its_type(make: Callable[[], object]) -> None:
    """A name of the wrong type (bytes of an unknown shape) is named by its type, never shown."""
    with pytest.raises(
        rk.ConfigurationError, match=r"must be a non-empty string, got bytes$"
    ) as caught:
        make()
    assert PASSWORD not in str(caught.value)
