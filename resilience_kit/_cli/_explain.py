"""``resilience-kit explain``: what the kit makes of a failure, and what each preset does with it.

The failure is rebuilt as the exception its client raises (see ``_failure``) and classified by
``classify()``; each preset's answer comes from the retry engine's own decision functions
(``not_retried_because``, ``plan_wait``) for the first failed attempt, so the explanation cannot
drift from what ``@retry`` does.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from resilience_kit._breaker import DEFAULT_FAILURE_CATEGORIES
from resilience_kit._categories import ErrorCategory
from resilience_kit._classify import Classification, classify
from resilience_kit._cli._command import Command, UsageError
from resilience_kit._cli._failure import PROVIDERS, Failure, raise_failure, read_failure
from resilience_kit._cli._hints import header_notes
from resilience_kit._cli._presets import add_file_option, load_user_presets
from resilience_kit._redact import redact
from resilience_kit._retry import (
    BUILTIN_PRESETS,
    RetryPolicy,
    get_preset,
    not_retried_because,
    plan_wait,
    preset_names,
)

__all__ = ["COMMAND", "Verdict", "explain", "redacted", "verdicts"]

WHY: dict[ErrorCategory, str] = {
    ErrorCategory.RATE_LIMIT: "a throughput limit: it resets, so waiting helps",
    ErrorCategory.OVERLOADED: "the provider is up but out of capacity: back off, or fall back",
    ErrorCategory.SERVER: "a transient server failure",
    ErrorCategory.TIMEOUT: "the answer took too long; sending the request again usually works",
    ErrorCategory.CONNECTION: "the request or its answer was cut off in transit",
    ErrorCategory.CONFLICT: "a lock or conflict on the server side that clears",
    ErrorCategory.QUOTA: "a billing stop: waiting does not end it (add credit or raise the limit)",
    ErrorCategory.AUTH: "the API key is missing, wrong or revoked",
    ErrorCategory.PERMISSION: "this key may not use this model or resource",
    ErrorCategory.BAD_REQUEST: "the request itself is wrong: sending it again gets the same answer",
    ErrorCategory.CONTEXT_LENGTH: "the input is too long for the model: shorten it or fall back",
    ErrorCategory.CONTENT_FILTER: "a safety refusal: the same input gets the same answer",
    ErrorCategory.NOT_FOUND: "an unknown model or route",
    ErrorCategory.CIRCUIT_OPEN: "the kit's own breaker is open: fail fast",
    ErrorCategory.UNKNOWN: "nobody understood this failure, so it is never retried",
}
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


@dataclass(frozen=True)
class Verdict:
    """What one preset does after the first failed attempt."""

    preset: str
    retried: bool
    wait: float | None  # the shortest wait (the exact one for a server hint)
    wait_max: float | None  # the longest (backoff plus all the jitter)
    reason: str  # server_hint, backoff, or the give-up reason code
    why: str
    policy: RetryPolicy

    def describe(self) -> str:
        if self.wait is None or self.wait_max is None:
            return f"not retried: {self.why}"
        span = f"{self.wait:g}s"
        if self.wait_max != self.wait:
            span = f"{self.wait:g}-{self.wait_max:g}s"
        deadline = "" if self.policy.deadline is None else f" within {self.policy.deadline:g}s"
        return (
            f"retried after {span} ({self.why}); "
            f"at most {self.policy.max_attempts} attempts{deadline}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "retried": self.retried,
            "wait": self.wait,
            "wait_max": self.wait_max,
            "reason": self.reason,
            "why": self.why,
            "max_attempts": self.policy.max_attempts,
            "deadline": self.policy.deadline,
            "max_retry_after": self.policy.max_retry_after,
        }


def _verdict(name: str, policy: RetryPolicy, found: Classification) -> Verdict:
    because = not_retried_because(policy, found)
    if because is not None:
        return Verdict(
            name,
            retried=False,
            wait=None,
            wait_max=None,
            reason="not_retryable",
            why=because,
            policy=policy,
        )
    low, high = policy.backoff_range(1)
    shortest = plan_wait(policy, found, 1, 0.0, lambda: low)
    if shortest.wait is None:
        return Verdict(
            name,
            retried=False,
            wait=None,
            wait_max=None,
            reason=shortest.reason,
            why=shortest.detail,
            policy=policy,
        )
    longest = plan_wait(policy, found, 1, 0.0, lambda: high)
    if shortest.reason == "server_hint":
        why = f"the server's hint, within max_retry_after={policy.max_retry_after:g}s"
    elif found.retry_after is not None:
        why = "backoff: this preset ignores server hints"
    else:
        why = "backoff: no server hint"
    wait_max = longest.wait if longest.wait is not None else shortest.wait
    return Verdict(
        name,
        retried=True,
        wait=shortest.wait,
        wait_max=wait_max,
        reason=shortest.reason,
        why=why,
        policy=policy,
    )


def verdicts(found: Classification) -> list[Verdict]:
    """Every registered preset's answer to the first failed attempt classified as *found*."""
    return [_verdict(name, get_preset(name), found) for name in preset_names()]


def _override(found: Classification) -> list[str]:
    """A line when this answer overrides its category's default (``x-should-retry``, say)."""
    if found.retryable == found.category.retryable:
        return []
    marked = "retryable" if found.retryable else "not retryable"
    usual = "usually is not" if found.retryable else "usually is"
    return [f"                 this answer is marked {marked} ({found.category.value} {usual})"]


def explain(found: Classification, notes: Sequence[str] = ()) -> str:
    """The text report: the classification, the breaker's view, then one line per preset.

    *notes* are lines about the headers given (a ``retry-after`` the kit cannot use, say)."""
    hint = "none" if found.retry_after is None else f"{found.retry_after:g}s"
    details = ", ".join(
        f"{label} {value}"
        for label, value in (
            ("provider", found.provider),
            ("status", found.status_code),
            ("error code", found.error_code),
        )
        if value not in (None, "")
    )
    retryable = "retryable" if found.retryable else "not retryable"
    counted = found.category in DEFAULT_FAILURE_CATEGORIES
    in_stream = "yes: retried only before the first chunk" if found.in_stream else "no"
    lines = [
        f"classification:  {found.category.value}, {retryable}"
        + (f" ({details})" if details else ""),
        f"                 {WHY[found.category]}",
        *_override(found),
        f"server hint:     {hint}",
        *(f"                 {note}" for note in notes),
        f"in stream:       {in_stream}",
        "circuit breaker: "
        + ("counted as a failure" if counted else "not counted as a failure")
        + " (a CircuitBreaker's default failure_categories)",
        "",
        "what @retry does with it, per preset:",
    ]
    rows = verdicts(found)
    width = max(len(v.preset) for v in rows)
    lines.extend(f"  {v.preset.ljust(width)}  {v.describe()}" for v in rows)
    return "\n".join(lines)


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not _HEADER_NAME.fullmatch(name):
        raise argparse.ArgumentTypeError(f"expected NAME:VALUE (e.g. retry-after:2), got {text!r}")
    if not _HEADER_VALUE.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"header {name}: the value must be printable ASCII (what HTTP clients send), "
            f"got {value!r}"
        )
    return name.lower(), value.strip()


def _text(option: str, value: str | None) -> str | None:
    """*value* when it is text that can be sent (command lines that are not UTF-8 are not)."""
    if value is not None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(f"{option} is not UTF-8 text") from None
    return value


def _status(text: str) -> int:
    try:
        status = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an HTTP status 400-599, got {text!r}") from None
    if not 400 <= status <= 599:
        raise argparse.ArgumentTypeError(f"expected an HTTP status 400-599, got {status}")
    return status


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provider",
        choices=PROVIDERS,
        default="http",
        help="whose client saw the failure (default: http, any other HTTP client)",
    )
    parser.add_argument("--status", type=_status, help="the HTTP status of the answer (400-599)")
    parser.add_argument(
        "--header",
        type=_header,
        action="append",
        default=[],
        metavar="NAME:VALUE",
        help="a response header, e.g. retry-after:2 (repeat for more)",
    )
    parser.add_argument(
        "--body",
        help="the response body as the server sent it (JSON or text), or as a Python log shows "
        "it: str(exc) (Error code: 429 - message; 429 message (request_id: ..., type: ...); "
        "Error code: 429 - {...}; 429 RESOURCE_EXHAUSTED. {...}; An error occurred "
        "(ThrottlingException) ...) or a dict repr; its status fills in --status",
    )
    parser.add_argument(
        "--code",
        help="the error code instead of a body: OpenAI error.code (e.g. insufficient_quota), "
        "Anthropic error.details.error_code",
    )
    parser.add_argument(
        "--type",
        dest="error_type",
        metavar="TYPE",
        help="the error type instead of a body: error.type (e.g. overloaded_error)",
    )
    parser.add_argument(
        "--in-stream",
        action="store_true",
        help="the error arrived inside a streamed answer (OpenAI data: {error}, Anthropic "
        "event: error), described by --code/--type",
    )
    add_file_option(parser)
    parser.add_argument("--json", action="store_true", help="print the answer as one JSON object")


def _explain_command(args: argparse.Namespace) -> int:
    headers = dict(args.header)
    failure = Failure(
        args.provider,
        args.status,
        headers,
        _text("--body", args.body),
        _text("--code", args.code),
        _text("--type", args.error_type),
        args.in_stream,
    )
    load_user_presets(args.file)
    failure = read_failure(failure)
    try:
        exc = raise_failure(failure)
    except ImportError:
        raise UsageError(
            f"--provider {failure.provider} needs the {failure.provider} package: "
            f"pip install 'llm-resilience-kit[{failure.provider}]'"
        ) from None
    found = classify(exc)
    notes = header_notes(failure.headers)
    if args.json:
        report = {
            "failure": failure.to_dict(),
            "header_notes": notes,
            "classification": found.to_dict(),
            "breaker_counts_failure": found.category in DEFAULT_FAILURE_CATEGORIES,
            "presets": [v.to_dict() for v in verdicts(found)],
        }
        print(json.dumps(redacted(report), indent=2))
    else:
        print(redact(explain(found, notes)))
    return 0


def redacted(value: object) -> Any:
    """*value* (JSON data) with every string redacted: a pasted body, a header or an error code
    given to ``explain`` may hold a key."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redacted(item) for item in value]
    if isinstance(value, dict):
        return {key: redacted(item) for key, item in value.items()}
    return value


COMMAND = Command(
    "explain",
    "classify a failure and show what each preset would do with it",
    "Describe a failed answer (provider, status, headers, body, or just an error code) and see "
    "how the kit classifies it and what every retry preset does with it: wait how long, or "
    "give up at once, and why. openai, anthropic, gemini (google-genai) and bedrock (boto3) "
    "failures are rebuilt with the real SDK client against a local FakeLLMServer (nothing leaves "
    "127.0.0.1); http stands for any other client. --body takes the JSON the server sent, or what "
    "a Python log printed: str(exc) of those SDKs or a dict repr (read without eval; refused "
    "when it cannot be read). Built-in presets: " + ", ".join(BUILTIN_PRESETS) + ".",
    _configure,
    _explain_command,
)
