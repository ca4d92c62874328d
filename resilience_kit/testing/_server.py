"""``FakeLLMServer``: a local HTTP server speaking OpenAI and Anthropic, with scripted faults."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections import deque
from collections.abc import Mapping
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from typing_extensions import Self

from resilience_kit import _clock
from resilience_kit._checks import check_int, check_str
from resilience_kit._redact import redact, redact_headers
from resilience_kit.exceptions import ConfigurationError
from resilience_kit.testing._answers import continued_text, prefill_of, prompt_tokens
from resilience_kit.testing._clients import ClientFactories
from resilience_kit.testing._faults import (
    Fault,
    Provider,
    check_faults,
    check_latency,
    non_stream_error,
)
from resilience_kit.testing._handler import QuietHTTPServer, make_handler
from resilience_kit.testing._limits import Buckets, RateLimits
from resilience_kit.testing._output import OutputShare, answer_tokens, requested_output, text_of
from resilience_kit.testing._ratelimit import TokenBucket, check_rate_limit, rate_limited
from resilience_kit.testing._records import RecordedRequest
from resilience_kit.testing._streams import Streams
from resilience_kit.testing._wire_responses import CutPlan, StoredResponse

__all__ = ["FakeLLMServer", "RecordedRequest"]

_PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic", "gemini", "bedrock")


class FakeLLMServer(ClientFactories, Streams):
    """A threaded HTTP/1.1 server on 127.0.0.1 answering like OpenAI, Anthropic, Gemini, Bedrock.

    Routes: ``POST /v1/chat/completions`` (OpenAI; Azure's
    ``/openai/deployments/{d}/chat/completions`` too), ``POST /v1/responses`` and ``GET
    /v1/responses/{id}`` (OpenAI Responses: ``stream``, ``background``, ``starting_after``)
    and ``POST /v1/messages`` (Anthropic; a trailing assistant message is a prefill the answer
    continues from), all plain and streaming (``"stream": true``); Gemini
    ``models/{m}:generateContent`` and ``:streamGenerateContent?alt=sse``; Bedrock Runtime
    ``/model/{id}/converse``, ``converse-stream``, ``invoke`` and
    ``invoke-with-response-stream`` (AWS event stream). Each request takes the next scripted
    `Fault` (provider-specific queue first, then the shared one); with none left, an outage set by
    `set_outage()` applies, then the token-bucket *rate_limit* ``(requests_per_second,
    burst)``, then the provider-style *limits* (`RateLimits`: requests and tokens per
    period, with rate-limit headers on every answer), then a normal answer of *reply* (streamed
    in *chunks* pieces) after a model *latency* drawn uniformly from ``(low, high)`` seconds.
    With *output* (`OutputShare`), an answer uses a seeded random share of the request's
    ``max_tokens`` instead: that many words, and as many output tokens in its ``usage``.
    `cut_streams()` cuts streams at seeded random events.
    """

    def __init__(
        self,
        *,
        reply: str = "Hello from FakeLLMServer.",
        chunks: int = 4,
        rate_limit: tuple[float, int] | None = None,
        limits: RateLimits | None = None,
        latency: tuple[float, float] | None = None,
        output: OutputShare | None = None,
        port: int = 0,
    ) -> None:
        self.reply: str = check_str("reply", reply)
        self.output: OutputShare | None = None
        self._draws: random.Random | None = None
        self.chunks: int = check_int("chunks", chunks, 1, 10_000)
        self._port = check_int("port", port, 0, 65535)
        self._lock = threading.Lock()
        self._queues: dict[Provider | None, deque[Fault]] = {
            None: deque(),
            "openai": deque(),
            "anthropic": deque(),
            "gemini": deque(),
            "bedrock": deque(),
        }
        self._outage: dict[Provider | None, Fault] = {}
        self._bucket: TokenBucket | None = None
        self._limits: Buckets | None = None
        self.latency: tuple[float, float] | None = check_latency(latency)
        self._records: list[RecordedRequest] = []
        self._count = 0
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._clients: list[Any] = []
        self._responses: dict[str, StoredResponse] = {}  # see Streams
        self._cut_plan: CutPlan | None = None
        self._cuts: dict[str, list[int]] = {}
        self.set_rate_limit(rate_limit)
        self.set_limits(limits)
        self.set_output(output)

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
            close = getattr(client, "close", None)
            if callable(close):
                close()

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
        """``http://127.0.0.1:<port>``: the ``base_url`` of Anthropic, Gemini (``HttpOptions``),
        Azure (``azure_endpoint``) and Bedrock (``endpoint_url``); OpenAI's: `openai_url`."""
        return f"http://127.0.0.1:{self.port}"

    # -- scripting -------------------------------------------------------------------------

    def script(self, *faults: Fault, provider: Provider | None = None) -> None:
        """Replace the queue (shared, or *provider*'s) with *faults*, one per request."""
        queue = self._queue(provider)
        with self._lock:
            queue.clear()
            queue.extend(check_faults(faults))

    def enqueue(self, *faults: Fault, provider: Provider | None = None) -> None:
        """Append *faults* to the queue (shared, or *provider*'s)."""
        queue = self._queue(provider)
        with self._lock:
            queue.extend(check_faults(faults))

    def pending(self, provider: Provider | None = None) -> int:
        """How many scripted faults are left in the queue (shared, or *provider*'s)."""
        queue = self._queue(provider)
        with self._lock:
            return len(queue)

    def set_outage(self, fault: Fault | int = 503, *, provider: Provider | None = None) -> None:
        """Answer every unscripted request with *fault* (a status code is a ``Fault.status``)."""
        self._queue(provider)  # validates the provider
        chosen = Fault.status(fault) if isinstance(fault, int) else fault
        check_faults((chosen,))
        with self._lock:
            self._outage[provider] = chosen

    def clear_outage(self, *, provider: Provider | None = None) -> None:
        """End the outage set for *provider*; without one, end every outage."""
        with self._lock:
            if provider is None:
                self._outage.clear()
            else:
                self._outage.pop(provider, None)

    def set_rate_limit(self, rate_limit: tuple[float, int] | None) -> None:
        """Token bucket ``(requests_per_second, burst)`` answering 429 when empty; None: off."""
        bucket = None
        if rate_limit is not None:
            rate, burst = check_rate_limit(rate_limit)
            bucket = TokenBucket(rate, burst)
        with self._lock:
            self._bucket = bucket

    def set_limits(self, limits: RateLimits | None) -> None:
        """Provider-style requests and tokens limits (fresh, full buckets); None: off."""
        if limits is not None and not isinstance(limits, RateLimits):
            raise ConfigurationError(
                "limits", f"must be a RateLimits or None, got {type(limits).__name__}"
            )
        with self._lock:
            self._limits = None if limits is None else Buckets(limits)

    def set_output(self, output: OutputShare | None) -> None:
        """Answers using a seeded share of each request's ``max_tokens`` (`OutputShare`; its
        draws start again); None: the fixed *reply*."""
        if output is not None and not isinstance(output, OutputShare):
            raise ConfigurationError(
                "output", f"must be an OutputShare or None, got {type(output).__name__}"
            )
        with self._lock:
            self.output = output
            self._draws = None if output is None else output.generator()

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
            self._responses.clear()
            self._cuts.clear()
            if self._bucket is not None:
                self._bucket = TokenBucket(self._bucket.rate, self._bucket.burst)
            if self._limits is not None:
                self._limits = Buckets(self._limits.limits)
            if self.output is not None:
                self._draws = self.output.generator()

    # -- clients (see ClientFactories) ---------------------------------------------------------

    def _keep(self, client: Any) -> None:
        with self._lock:
            self._clients.append(client)

    # -- used by the handler ---------------------------------------------------------------

    def _queue(self, provider: object) -> deque[Fault]:
        if provider is not None and provider not in _PROVIDERS:
            raise ConfigurationError(
                "provider",
                f"must be 'openai', 'anthropic', 'gemini', 'bedrock' or None, got {provider!r}",
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
        model: str | None = None,
        refusal: Fault | None = None,
    ) -> tuple[Fault, RecordedRequest, dict[str, str]]:
        now = _clock.monotonic()
        with self._lock:
            self._count += 1
            request_id = f"req_fake{self._count:06d}"
            if model is None:
                model = body.get("model")
            extra: dict[str, str] = {}
            reply = self._reply_for(provider, body)
            if refusal is not None and provider is not None:
                fault, outcome = refusal, "status"
            else:
                fault, outcome, extra = self._next_fault(
                    provider, body, model if isinstance(model, str) else "fake-model", reply
                )
            if provider is None:
                status: int | None = 404
                outcome = "status"
            elif fault.kind == "status":
                status = fault.status_code
            elif fault.kind == "drop" or (fault.kind == "stream_cut" and not stream):
                status = None
            elif fault.kind == "stream_error" and not stream:
                status = non_stream_error(fault, provider).status_code
            else:
                status = 200
            record = RecordedRequest(
                time=now,
                method=method,
                path=redact(path),  # ?key=... never reaches a record
                provider=provider,
                status=status,
                outcome=outcome,
                stream=stream,
                model=model if isinstance(model, str) else None,
                request_id=request_id,
                client_port=client_port,
                headers=redact_headers({k.lower(): v for k, v in headers.items()}),
                body=dict(body),
                reply=reply if status == 200 else None,
            )
            self._records.append(record)
        return fault, record, extra

    def _reply_for(self, provider: Provider | None, body: Mapping[str, Any]) -> str:
        """The text of this request's answer: *reply*, or a share of its requested output."""
        most = requested_output(body)
        if self.output is None or self._draws is None or most is None or provider is None:
            return self.reply
        prefill = prefill_of(body) if provider == "anthropic" else None
        return text_of(self.reply, self.output.tokens(self._draws, most), prefill)

    def _next_fault(
        self, provider: Provider | None, body: Mapping[str, Any], model: str, reply: str
    ) -> tuple[Fault, str, dict[str, str]]:
        if provider is None:
            return Fault.ok(), "status", {}
        for queue in (self._queues[provider], self._queues[None]):
            if queue:
                fault = queue.popleft()
                return fault, fault.kind, {}
        outage = self._outage.get(provider) or self._outage.get(None)
        if outage is not None:
            return outage, "outage", {}
        if self._bucket is not None:
            wait = self._bucket.take()
            if wait > 0:
                return rate_limited(provider, wait), "rate_limited", {}
        if self._limits is not None:
            request = dict(body)
            text = continued_text(reply, prefill_of(body))[0] if provider == "anthropic" else reply
            used = answer_tokens(text)  # the output tokens the answer's usage reports
            admission = self._limits.admit(provider, model, request, prompt_tokens(request), used)
            if admission.fault is not None:
                return admission.fault, "rate_limited", {}
            return Fault.ok(), "ok", admission.headers
        return Fault.ok(), "ok", {}

    def _model_latency(self) -> float:
        if self.latency is None:
            return 0.0
        return random.uniform(*self.latency)

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
