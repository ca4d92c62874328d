"""Fixtures of the integration tests: a real redis-server for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server (no persistence) on a free loopback port for the whole session."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def own_server() -> Iterator[RedisServer]:
    """A redis-server of one test alone (it may be killed and restarted on its port)."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.close()
