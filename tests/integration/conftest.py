"""Fixtures of the integration tests: a real redis-server for the session.

Tests marked ``redis`` (and every test using ``redis_server`` or ``own_server``) need the
``redis-server`` binary on ``PATH``. Without it they are skipped from one place, so the summary
shows one line saying so and how to install it; with ``CI`` set the run fails instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration import redis_server as binaries
from tests.integration.redis_server import RedisServer

_SERVER_FIXTURES = frozenset({"redis_server", "own_server"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses a Redis server ``redis``; in CI, a missing server is an error."""
    for item in items:
        if _SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.redis)
    wanted = any(item.get_closest_marker("redis") is not None for item in items)
    if wanted and binaries.required() and not binaries.available():
        raise pytest.UsageError(
            f"CI is set, so the Redis-backed tests must run: {binaries.MISSING.split(':')[0]} "
            f"(install it: {binaries.INSTALL})"
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A Redis-backed test without redis-server is skipped before its fixtures start anything."""
    if item.get_closest_marker("redis") is not None and not binaries.available():
        pytest.skip(binaries.MISSING)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """In CI, a skipped Redis-backed test (for whatever reason) fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not binaries.required() or reporter is None:
        return
    skipped = [r.nodeid for r in reporter.stats.get("skipped", []) if "redis" in r.keywords]
    if skipped:
        reporter.write_line(
            f"CI is set: {len(skipped)} Redis-backed test(s) skipped: {', '.join(skipped[:3])}",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
