"""The kit is quiet unless the application sets up logging, and then follows that setup."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
import structlog

from resilience_kit import _events

# A call that fails twice with a retryable error, then succeeds; sleeps are skipped.
_CALL = """
import resilience_kit as rk
from resilience_kit.testing import no_wait

failures = [TimeoutError("slow"), TimeoutError("slow")]

@rk.retry("default")
def ask(prompt: str) -> str:
    if failures:
        raise failures.pop()
    return prompt

with no_wait():
    assert "hi" == ask("hi")
"""


def _run(setup: str) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(setup) + _CALL
    return subprocess.run(  # noqa: S603 - this test's own script, this interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )


def test_nothing_is_printed_without_logging_setup() -> None:
    """Two retries and a success with no logging configured: stdout and stderr stay empty."""
    done = _run("")
    assert "" == done.stdout
    assert "" == done.stderr


def test_stdlib_logging_gets_records_of_the_resilience_kit_logger() -> None:
    """basicConfig(INFO): two retry_scheduled and one retry_succeeded line, no None fields."""
    done = _run(
        """
        import logging, sys
        logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                            format="%(levelname)s %(name)s %(message)s")
        """
    )
    lines = done.stdout.splitlines()
    assert 3 == len(lines), done.stdout
    assert lines[0].startswith("WARNING resilience_kit retry_scheduled function=ask attempt=1 ")
    assert "category=timeout" in lines[0]
    assert "reason=backoff" in lines[0]
    assert lines[2].startswith("INFO resilience_kit retry_succeeded function=ask attempt=3")
    assert "None" not in done.stdout
    assert "" == done.stderr


def test_stdlib_records_carry_the_fields_as_attributes() -> None:
    """A handler sees record.event, record.attempt and a wait rounded to milliseconds."""
    done = _run(
        """
        import logging
        class Show(logging.Handler):
            def emit(self, record):
                print(record.event, record.attempt, repr(record.wait), record.levelname)
        logging.getLogger("resilience_kit").addHandler(Show())
        logging.getLogger("resilience_kit").setLevel(logging.DEBUG)
        """
    )
    first, second, last = done.stdout.splitlines()
    event, attempt, wait, level = first.split()
    assert ("retry_scheduled", "1", "WARNING") == (event, attempt, level)
    assert len(wait.partition(".")[2]) <= 3
    assert second.startswith("retry_scheduled 2 ")
    assert last.startswith("retry_succeeded 3 ")


def test_stdlib_info_level_drops_debug_events() -> None:
    """A debug event (retry_succeeded on a first try is silent anyway) never passes INFO."""
    done = _run(
        """
        import logging, sys
        from resilience_kit import _events
        logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
        _events.emit("probe_debug", level="debug", function="ask")
        _events.emit("probe_info", level="info", function="ask", status=None, reason="")
        """
    )
    assert "probe_debug" not in done.stdout
    assert "probe_info function=ask\n" in done.stdout


def test_structlog_configured_by_the_app_gets_the_events() -> None:
    """structlog.configure(...) by the app: events follow its processors and level filter."""
    done = _run(
        """
        import logging, structlog
        structlog.configure(
            processors=[structlog.processors.add_log_level,
                        structlog.processors.KeyValueRenderer(key_order=["event", "level"])],
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        )
        """
    )
    lines = done.stdout.splitlines()
    assert 2 == len(lines), done.stdout  # the info-level retry_succeeded is filtered out
    assert lines[0].startswith("event='retry_scheduled' level='warning' ")
    assert "attempt=1" in lines[0]
    assert "request_id=" not in lines[0]  # None fields are left out


@pytest.fixture
def plain_stdlib() -> Iterator[None]:
    """structlog not configured (as in a fresh program), restored afterwards."""
    saved, was_configured = structlog.get_config(), structlog.is_configured()
    structlog.reset_defaults()
    try:
        yield
    finally:
        structlog.configure(**saved)
        if not was_configured:
            structlog.reset_defaults()


def test_stdlib_message_omits_none_and_empty_and_rounds_seconds(
    plain_stdlib: None, caplog: pytest.LogCaptureFixture
) -> None:
    """retry_after=29.613114464999967 is logged as 29.613; None and "" fields are left out."""
    with caplog.at_level(logging.INFO, logger="resilience_kit"):
        _events.emit("gate_waiting", gate="g", wait=29.613114464999967, reason="", status=None)
    (record,) = caplog.records
    assert "gate_waiting gate=g wait=29.613" == record.getMessage()
    assert ("resilience_kit", "gate_waiting", 29.613) == (record.name, record.event, record.wait)
    assert not hasattr(record, "status")


def test_a_field_named_like_a_log_record_attribute_does_not_break_logging(
    plain_stdlib: None, caplog: pytest.LogCaptureFixture
) -> None:
    """A field called module stays in the message and never overwrites the record's own."""
    with caplog.at_level(logging.INFO, logger="resilience_kit"):
        _events.emit("probe", module="app.oa", name="x y")
    (record,) = caplog.records
    assert "probe module=app.oa name='x y'" == record.getMessage()
    assert "resilience_kit" == record.name
