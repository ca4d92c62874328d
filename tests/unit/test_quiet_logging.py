"""The kit is quiet unless the application sets up logging, and then follows that setup."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
