"""Setup shared by the token benchmarks: quiet logs, a Redis server, worker threads, and a
FakeLLMServer with provider-style limits in a process of its own (so the clients measured do not
share its interpreter)."""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import anthropic
import openai
import stamina
import structlog
import tenacity

from resilience_kit.testing import FakeLLMServer, OutputShare, RateLimits
from resilience_kit.testing._answers import prompt_tokens
from resilience_kit.testing._limits import max_output

T = TypeVar("T")
PERIOD, RPM, TPM = 6.0, 600, 60_000  # a minute scaled down tenfold
MODEL = "m"
RATE_LIMITED = (openai.RateLimitError, anthropic.RateLimitError)
Item = tuple[int, int]  # (prompt tokens, max_tokens)


def quiet() -> None:
    """No log lines from the kit while measuring."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    """A throwaway redis-server on a free loopback port, and its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="rk-bench-redis-")
    binary = shutil.which("redis-server") or "redis-server"
    proc = subprocess.Popen(  # noqa: S603 - the installed redis-server, fixed arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def drive(call: Callable[[T], object], items: Iterable[T], workers: int) -> dict[str, Any]:
    """Call *call* on every item from *workers* threads: how many succeeded, how many were lost
    (raised: retries ran out, or refused) and to which exception types."""
    queue = iter(items)
    lock = threading.Lock()
    outcome: dict[str, Any] = {"ok": 0, "lost": 0, "errors": {}}

    def worker() -> None:
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            try:
                call(item)
            except Exception as exc:  # retries ran out: lost
                with lock:
                    lost(outcome, exc)
            else:
                with lock:
                    outcome["ok"] += 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def lost(outcome: dict[str, Any], exc: BaseException) -> None:
    """Count a lost request in *outcome*, by the type of what it raised."""
    outcome["lost"] += 1
    name = type(exc).__name__
    outcome["errors"][name] = outcome["errors"].get(name, 0) + 1


def _stats(server: FakeLLMServer, split: bool) -> dict[str, int]:
    """What the server admitted for successful requests, as each limit counts it."""
    records = server.requests
    ok = [r for r in records if r.status == 200]
    return {
        "hits": len(records),
        "answered_429": sum(r.status == 429 for r in records),
        "requests": len(ok),
        # OpenAI-style: prompt + max_tokens; Anthropic's input limit: the prompt only
        "tokens": sum(
            prompt_tokens(dict(r.body)) + (0 if split else max_output(dict(r.body))) for r in ok
        ),
        # Anthropic's output limit: what the answers used
        "output": sum(len((r.reply or "").split()) for r in ok) if split else 0,
    }


def _serve(conn: Any, limits: RateLimits, latency: tuple[float, float]) -> None:
    with FakeLLMServer(limits=limits, latency=latency) as server:
        conn.send(server.url)
        while True:
            command, share = conn.recv()
            if command == "reset":
                server.reset()
                server.set_output(share)
                conn.send(True)  # noqa: FBT003 - the pipe protocol's "done"
            elif command == "stats":
                conn.send(_stats(server, limits.output_tokens is not None))
            else:
                conn.send(True)  # noqa: FBT003 - the pipe protocol's "done"
                return


class LimitServer:
    """A FakeLLMServer enforcing *limits* in a child process; ``reset()`` and ``stats()``."""

    def __init__(self, limits: RateLimits, latency: tuple[float, float]) -> None:
        self.limits = limits
        self.conn, child = mp.Pipe()
        self.proc = mp.Process(target=_serve, args=(child, limits, latency), daemon=True)
        self.proc.start()
        self.url: str = self.conn.recv()

    def _ask(self, command: str, share: OutputShare | None = None) -> Any:
        self.conn.send((command, share))
        return self.conn.recv()

    def reset(self, share: OutputShare | None = None) -> None:
        """Fresh buckets, no records; answers of the fixed reply, or using *share* of
        ``max_tokens``."""
        self._ask("reset", share)

    def stats(self) -> dict[str, int]:
        result: dict[str, int] = self._ask("stats")
        return result

    def close(self) -> None:
        self._ask("stop")
        self.proc.join(5)


# -- the clients' calls ---------------------------------------------------------------------
def args_of(item: Item) -> dict[str, Any]:
    prompt, most = item
    return {"messages": [{"role": "user", "content": "x" * (4 * prompt)}], "max_tokens": most}


def client_of(url: str, headers: str, *, asynchronous: bool = False, retries: int = 0) -> Any:
    if headers == "anthropic":
        kind: Any = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic
        return kind(base_url=url, api_key="sk-ant-bench", max_retries=retries, timeout=60.0)
    kind = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    return kind(base_url=url + "/v1", api_key="sk-bench", max_retries=retries, timeout=60.0)


def create(client: Any, headers: str) -> Callable[..., Any]:
    send: Callable[..., Any] = (
        client.messages.create if headers == "anthropic" else client.chat.completions.create
    )
    return send


# -- the usual retry clients (not run by default) ----------------------------------------------
def sdk_retries(url: str, headers: str) -> Callable[[Item], object]:
    send = create(client_of(url, headers, retries=2), headers)
    return lambda item: send(model=MODEL, **args_of(item))


def plain_tenacity(url: str, headers: str) -> Callable[[Item], object]:
    send = create(client_of(url, headers), headers)

    @tenacity.retry(
        wait=tenacity.wait_random_exponential(min=1, max=60),
        stop=tenacity.stop_after_attempt(6),
        retry=tenacity.retry_if_exception_type(RATE_LIMITED),
        reraise=True,
    )
    def call(item: Item) -> object:
        return send(model=MODEL, **args_of(item))

    return call


def stamina_defaults(url: str, headers: str) -> Callable[[Item], object]:
    send = create(client_of(url, headers), headers)

    @stamina.retry(on=RATE_LIMITED)
    def call(item: Item) -> object:
        return send(model=MODEL, **args_of(item))

    return call


class CapacityTracker:
    """The cookbook's bookkeeping: capacities refilled by elapsed time at the declared limits."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests, self.tokens = float(RPM), float(TPM)
        self.stamp = time.monotonic()
        self.paused_until = 0.0

    def take(self, cost: int) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                elapsed, self.stamp = now - self.stamp, now
                self.requests = min(RPM, self.requests + RPM * elapsed / PERIOD)
                self.tokens = min(TPM, self.tokens + TPM * elapsed / PERIOD)
                wait = self.paused_until - now
                if wait <= 0 and self.requests >= 1 and self.tokens >= cost:
                    self.requests -= 1
                    self.tokens -= cost
                    return
            time.sleep(max(wait, 0.001))  # the cookbook polls every millisecond

    def limited(self) -> None:
        with self.lock:
            self.paused_until = time.monotonic() + 15.0 * PERIOD / 60.0


def cookbook_tracker(url: str, headers: str) -> Callable[[Item], object]:
    send = create(client_of(url, headers), headers)
    tracker = CapacityTracker()

    def call(item: Item) -> object:
        args = args_of(item)
        cost = math.ceil(len(args["messages"][0]["content"]) / 4)
        cost += 0 if headers == "anthropic" else item[1]
        for _attempt in range(6):
            tracker.take(cost)
            try:
                return send(model=MODEL, **args)
            except RATE_LIMITED:
                tracker.limited()
        raise RuntimeError("attempts exhausted")

    return call
