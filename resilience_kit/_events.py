"""Structured log events with stable names. Call arguments are never logged; text is redacted.

A library stays quiet unless the application asks to hear it:

- when the application configured structlog (``structlog.configure(...)``, so that
  ``structlog.is_configured()``), events follow its setup under the logger name ``resilience_kit``;
- otherwise they are stdlib ``logging`` records of the ``resilience_kit`` logger, which has a
  ``NullHandler``: nothing is printed until the application configures logging (e.g.
  ``logging.basicConfig(level=logging.INFO)``), and never on stdout by the kit itself.

Fields that are None or empty are left out; floats (seconds, mostly) are rounded to milliseconds.

structlog is never imported here: an application that configured it has imported it already, so
the kit looks it up in ``sys.modules`` (importing structlog would load its dev renderer, and rich
with it, into every program that imports the kit).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from resilience_kit._redact import redact

__all__ = ["LOGGER_NAME", "emit"]

LOGGER_NAME = "resilience_kit"

_stdlib = logging.getLogger(LOGGER_NAME)
_stdlib.addHandler(logging.NullHandler())
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
# LogRecord attributes an ``extra`` key must not overwrite (logging raises KeyError on them).
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, float):
        return round(value, 3)
    return value


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _value(value) for key, value in fields.items() if value is not None and value != ""
    }


def _text(value: Any) -> str:
    text = str(value)
    return repr(text) if not text or any(c.isspace() or c in "='\"" for c in text) else text


def emit(event: str, *, level: str = "info", **fields: Any) -> None:
    """Log *event* with *fields* (see the module docstring for where it goes).

    String values are redacted. Logging failures never propagate into the user's call.
    """
    try:
        structlog = sys.modules.get("structlog")
        if structlog is not None and structlog.is_configured():
            method = getattr(structlog.get_logger(LOGGER_NAME), level)
            enabled = getattr(getattr(method, "__self__", None), "is_enabled_for", None)
            if enabled is None or enabled(_LEVELS[level]):  # a filtered event costs no redaction
                method(event, **_clean(fields))
            return
        number = _LEVELS[level]
        if not _stdlib.isEnabledFor(number):
            return
        clean = _clean(fields)
        message = " ".join([event, *(f"{key}={_text(value)}" for key, value in clean.items())])
        extra = {key: value for key, value in clean.items() if key not in _RESERVED}
        extra["event"] = event
        _stdlib.log(number, message, extra=extra)
    except Exception:  # a broken log pipeline must not break the user's call
        return
