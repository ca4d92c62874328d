"""``FakeLLMServer``: a local HTTP server speaking OpenAI and Anthropic, with scripted faults."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from resilience_kit import _clock
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.testing._faults import Fault, Provider
from resilience_kit.testing._handler import QuietHTTPServer, make_handler
from resilience_kit.testing._ratelimit import TokenBucket, check_rate_limit, rate_limited

if TYPE_CHECKING:
    import anthropic
    import openai

__all__ = ["FakeLLMServer", "RecordedRequest"]

_SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"}
)
_PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server received and what it answered.

    *status* is the HTTP status sent (``None`` when the connection was dropped before any
    answer); *outcome* is ``"ok"`` or the fault applied (``"status"``, ``"delay"``, ``"drop"``,
    ``"stream_error"``, ``"stream_cut"``, ``"rate_limited"``, ``"outage"``); *client_port* tells
    keep-alive connections apart. Secret headers
    (authorization, x-api-key, ...) are recorded as ``"***"``.
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


class FakeLLMServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 answering like OpenAI and Anthropic.

    Routes: ``POST /v1/chat/completions`` (OpenAI) and ``POST /v1/messages`` (Anthropic), both plain
    and streaming (``"stream": true``). Each request takes the next scripted
    [`Fault`][resilience_kit.testing.Fault] (provider-specific queue first, then the shared one);
    with none left, an outage set by `set_outage()` applies, then the token-bucket *rate_limit*
    ``(requests_per_second, burst)``, then a normal answer of *reply* (streamed in *chunks* pieces).
    """

    def __init__(
        self,
        *,
        reply: str = "Hello from FakeLLMServer.",
        chunks: int = 4,
        rate_limit: tuple[float, int] | None = None,
        port: int = 0,
    ) -> None:
        self.reply: str = _check_str("reply", reply)
        self.chunks: int = _check_int("chunks", chunks, 1, 10_000)
        self._port = _check_int("port", port, 0, 65535)
        self._lock = threading.Lock()
        self._queues: dict[Provider | None, deque[Fault]] = {
            None: deque(),
            "openai": deque(),
            "anthropic": deque(),
        }
        self._outage: dict[Provider | None, Fault] = {}
        self._bucket: TokenBucket | None = None
        self._records: list[RecordedRequest] = []
        self._count = 0
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._clients: list[openai.OpenAI | anthropic.Anthropic] = []
        self.set_rate_limit(rate_limit)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 (a free port unless *port* was given) and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = QuietHTTPServer(("127.0.0.1", self._port), make_handler(self))
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeLLMServer:{httpd.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and release the port (fast; safe to repeat)."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            _shut(conn)
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:  # sync clients made here; closing twice is harmless
            client.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (the server must be started)."""
        if self._httpd is None:
            raise RuntimeError("FakeLLMServer is not running; call start() or use `with`")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: Anthropic's ``base_url``; OpenAI's is `openai_url`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        """``url + "/v1"``: the ``base_url`` for OpenAI clients."""
        return self.url + "/v1"

    # -- scripting -------------------------------------------------------------------------

    def script(self, *faults: Fault, provider: Provider | None = None) -> None:
        """Replace the queue (shared, or *provider*'s) with *faults*, one per request."""
        queue = self._queue(provider)
        with self._lock:
            queue.clear()
            queue.extend(_check_faults(faults))

    def enqueue(self, *faults: Fault, provider: Provider | None = None) -> None:
        """Append *faults* to the queue (shared, or *provider*'s)."""
        queue = self._queue(provider)
        with self._lock:
            queue.extend(_check_faults(faults))

    def pending(self, provider: Provider | None = None) -> int:
        """How many scripted faults are left in the queue (shared, or *provider*'s)."""
        queue = self._queue(provider)
        with self._lock:
            return len(queue)

    def set_outage(self, fault: Fault | int = 503, *, provider: Provider | None = None) -> None:
        """Answer every unscripted request with *fault* (a status code is a ``Fault.status``)."""
        self._queue(provider)  # validates the provider
        chosen = Fault.status(fault) if isinstance(fault, int) else fault
        _check_faults((chosen,))
        with self._lock:
            self._outage[provider] = chosen

    def clear_outage(self, *, provider: Provider | None = None) -> None:
        """End the outage set for *provider* (or the shared one)."""
        with self._lock:
            self._outage.pop(provider, None)

    def set_rate_limit(self, rate_limit: tuple[float, int] | None) -> None:
        """Token bucket ``(requests_per_second, burst)`` answering 429 when empty; None: off."""
        bucket = None
        if rate_limit is not None:
            rate, burst = check_rate_limit(rate_limit)
            bucket = TokenBucket(rate, burst)
        with self._lock:
            self._bucket = bucket

    # -- records ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, oldest first."""
        with self._lock:
            return list(self._records)

    def hits(self, path: str | None = None, *, provider: Provider | None = None) -> int:
        """How many requests arrived (for *path* and/or *provider* when given)."""
        with self._lock:
            return sum(
                1
                for r in self._records
                if (path is None or r.path.partition("?")[0] == path)
                and (provider is None or r.provider == provider)
            )

    def reset(self) -> None:
        """Forget requests, scripted faults and outages; refill the rate-limit bucket."""
        with self._lock:
            self._records.clear()
            for queue in self._queues.values():
                queue.clear()
            self._outage.clear()
            if self._bucket is not None:
                self._bucket = TokenBucket(self._bucket.rate, self._bucket.burst)

    # -- clients ---------------------------------------------------------------------------

    def openai_client(self, **options: Any) -> openai.OpenAI:
        """An ``openai.OpenAI`` for this server (``max_retries=0``, dummy key; override freely).

        Closed by `stop()` if still open (async clients: close them yourself).
        """
        import openai

        options = {"api_key": "sk-fake-llm-server", "max_retries": 0, **options}
        if "http_client" not in options:  # plain HTTP on loopback: skip loading CA certificates
            options["http_client"] = openai.DefaultHttpxClient(verify=False)
        client = openai.OpenAI(base_url=self.openai_url, **options)
        with self._lock:
            self._clients.append(client)
        return client

    def async_openai_client(self, **options: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` for this server (``max_retries=0``, dummy key)."""
        import openai

        options = {"api_key": "sk-fake-llm-server", "max_retries": 0, **options}
        if "http_client" not in options:  # plain HTTP on loopback: skip loading CA certificates
            options["http_client"] = openai.DefaultAsyncHttpxClient(verify=False)
        return openai.AsyncOpenAI(base_url=self.openai_url, **options)

    def anthropic_client(self, **options: Any) -> anthropic.Anthropic:
        """An ``anthropic.Anthropic`` for this server (``max_retries=0``, dummy key); see above."""
        import anthropic

        options = {"api_key": "sk-ant-fake-llm-server", "max_retries": 0, **options}
        if "http_client" not in options:  # plain HTTP on loopback: skip loading CA certificates
            options["http_client"] = anthropic.DefaultHttpxClient(verify=False)
        client = anthropic.Anthropic(base_url=self.url, **options)
        with self._lock:
            self._clients.append(client)
        return client

    def async_anthropic_client(self, **options: Any) -> anthropic.AsyncAnthropic:
        """An ``anthropic.AsyncAnthropic`` for this server (``max_retries=0``, dummy key)."""
        import anthropic

        options = {"api_key": "sk-ant-fake-llm-server", "max_retries": 0, **options}
        if "http_client" not in options:  # plain HTTP on loopback: skip loading CA certificates
            options["http_client"] = anthropic.DefaultAsyncHttpxClient(verify=False)
        return anthropic.AsyncAnthropic(base_url=self.url, **options)

    # -- used by the handler ---------------------------------------------------------------

    def _queue(self, provider: object) -> deque[Fault]:
        if provider is not None and provider not in _PROVIDERS:
            raise ConfigurationError(
                "provider", f"must be 'openai', 'anthropic' or None, got {provider!r}"
            )
        return self._queues[provider]

    def _decide(
        self,
        *,
        method: str,
        path: str,
        provider: Provider | None,
        headers: Mapping[str, str],
        body: Mapping[str, Any],
        stream: bool,
        client_port: int,
    ) -> tuple[Fault, RecordedRequest]:
        now = _clock.monotonic()
        with self._lock:
            self._count += 1
            request_id = f"req_fake{self._count:06d}"
            fault, outcome = self._next_fault(provider)
            if provider is None:
                status: int | None = 404
                outcome = "status"
            elif fault.kind == "status":
                status = fault.status_code
            elif fault.kind == "drop" or (fault.kind == "stream_cut" and not stream):
                status = None
            elif fault.kind == "stream_error" and not stream:
                status = 529 if provider == "anthropic" else 500
            else:
                status = 200
            model = body.get("model")
            record = RecordedRequest(
                time=now,
                method=method,
                path=path,
                provider=provider,
                status=status,
                outcome=outcome,
                stream=stream,
                model=model if isinstance(model, str) else None,
                request_id=request_id,
                client_port=client_port,
                headers={
                    k.lower(): ("***" if k.lower() in _SECRET_HEADERS else v)
                    for k, v in headers.items()
                },
                body=dict(body),
            )
            self._records.append(record)
        return fault, record

    def _next_fault(self, provider: Provider | None) -> tuple[Fault, str]:
        if provider is None:
            return Fault.ok(), "status"
        for queue in (self._queues[provider], self._queues[None]):
            if queue:
                fault = queue.popleft()
                return fault, fault.kind
        outage = self._outage.get(provider) or self._outage.get(None)
        if outage is not None:
            return outage, "outage"
        if self._bucket is not None:
            wait = self._bucket.take()
            if wait > 0:
                return rate_limited(provider, wait), "rate_limited"
        return Fault.ok(), "ok"

    def _wait(self, seconds: float) -> None:
        if seconds > 0 and self._stopping.wait(seconds):
            raise ConnectionAbortedError("FakeLLMServer is stopping")

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)


def _shut(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        conn.shutdown(socket.SHUT_RDWR)


def _check_str(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(field, f"must be a str, got {type(value).__name__}")
    return value


def _check_int(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigurationError(field, f"must be an int in {low}..{high}, got {value!r}")
    return value


def _check_faults(faults: tuple[object, ...]) -> tuple[Fault, ...]:
    checked: list[Fault] = []
    for fault in faults:
        if not isinstance(fault, Fault):
            raise ConfigurationError("faults", f"must be Fault objects, got {type(fault).__name__}")
        checked.append(fault)
    return tuple(checked)
