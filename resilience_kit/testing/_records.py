"""What ``FakeLLMServer`` records of each request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from resilience_kit.testing._faults import Provider

__all__ = ["RecordedRequest"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server received and what it answered.

    *status* is the HTTP status sent (``None`` when the connection was dropped before any
    answer); *outcome* is ``"ok"`` or the fault applied (``"status"``, ``"delay"``, ``"drop"``,
    ``"stream_error"``, ``"stream_cut"``, ``"rate_limited"``, ``"outage"``); *client_port* tells
    keep-alive connections apart; *reply* is the text a successful answer carries (``None``
    for an error or a dropped connection). Secret headers
    (authorization, x-api-key, x-goog-api-key, ...) are recorded as ``"***"``, and credentials in
    the path's query (``?key=``) and in other header values are redacted.
    """

    time: float
    method: str
    path: str
    provider: Provider | None
    status: int | None
    outcome: str
    stream: bool
    model: str | None
    request_id: str
    client_port: int
    headers: Mapping[str, str] = field(repr=False)
    body: Mapping[str, Any] = field(repr=False)
    reply: str | None = field(default=None, repr=False)
