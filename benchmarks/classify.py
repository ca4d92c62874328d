"""Cost of ``classify(exc)`` per failure, next to the SDKs' own retry decision on the same error.

    python benchmarks/classify.py [--number 20000] [--repeat 5]

``classify`` runs once per failed attempt (and in the breaker), never on the success path. The
SDK column is ``client._should_retry(response)`` (status and ``x-should-retry`` only); classify
also reads the body, every wait hint and the request id, and redacts the message.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Measure the checkout this file lives in, not whichever copy is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anthropic
import httpx2
import openai

import resilience_kit as rk

RESULTS = Path(__file__).parent / "results" / "classify.json"

OPENAI = openai.OpenAI(api_key="sk-bench", base_url="http://127.0.0.1:9/v1", max_retries=0)
ANTHROPIC = anthropic.Anthropic(
    api_key="sk-ant-bench", base_url="http://127.0.0.1:9", max_retries=0
)


def _response(status: int, body: object, headers: dict[str, str]) -> httpx2.Response:
    request = httpx2.Request("POST", "https://api.example.invalid/v1/x")
    return httpx2.Response(status, request=request, headers=headers, json=body)


def cases() -> dict[str, tuple[BaseException, Callable[[], bool] | None]]:
    """name -> (exception, the SDK's own decision for it or None)."""
    oa = _response(
        429,
        {
            "error": {
                "message": "Rate limit reached",
                "type": "tokens",
                "code": "rate_limit_exceeded",
            }
        },
        {"retry-after-ms": "250", "x-request-id": "req_1", "x-ratelimit-reset-tokens": "6m0s"},
    )
    quota = _response(
        429,
        {"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}},
        {"x-request-id": "req_2"},
    )
    an = _response(
        529,
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        {"retry-after": "3", "request-id": "req_3"},
    )
    return {
        "openai 429 rate limit": (
            OPENAI._make_status_error_from_response(oa),
            lambda: OPENAI._should_retry(oa),
        ),
        "openai 429 quota": (
            OPENAI._make_status_error_from_response(quota),
            lambda: OPENAI._should_retry(quota),
        ),
        "anthropic 529": (
            ANTHROPIC._make_status_error_from_response(an),
            lambda: ANTHROPIC._should_retry(an),
        ),
        "httpx2.ReadTimeout": (httpx2.ReadTimeout("slow"), None),
        "TimeoutError": (TimeoutError(), None),
        "ValueError (unknown)": (ValueError("x"), None),
    }


def measure(number: int, repeat: int) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for name, (exc, sdk) in cases().items():
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(repeat):  # interleaved
            ours.append(timeit.timeit(lambda exc=exc: rk.classify(exc), number=number) / number)
            if sdk is not None:
                theirs.append(timeit.timeit(sdk, number=number) / number)
        row: dict[str, Any] = {
            "classify_median_us": statistics.median(ours) * 1e6,
            "classify_min_us": min(ours) * 1e6,
            "category": rk.classify(exc).category.value,
        }
        if theirs:
            row["sdk_should_retry_median_us"] = statistics.median(theirs) * 1e6
            row["ratio"] = statistics.median(ours) / statistics.median(theirs)
        rows[name] = row
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved repeats")
    args = parser.parse_args()
    rows = measure(args.number, args.repeat)
    print(f"{'exception':<24}{'category':<14}{'classify us':>12}{'SDK us':>9}{'ratio':>8}")
    for name, row in rows.items():
        sdk = row.get("sdk_should_retry_median_us")
        ratio = row.get("ratio")
        print(
            f"{name:<24}{row['category']:<14}{row['classify_median_us']:>12.2f}"
            f"{'' if sdk is None else f'{sdk:.2f}':>9}{'' if ratio is None else f'{ratio:.1f}x':>8}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "classify",
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "openai": openai.__version__,
                "anthropic": anthropic.__version__,
                "number": args.number,
                "repeat": args.repeat,
                "rows": rows,
            },
            indent=2,
        )
    )
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
