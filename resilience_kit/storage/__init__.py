"""Where breakers, rate-limit gates, retry budgets and token limiters keep the state they share.

One store type per tool (`BreakerStore`, `GateStore`, `BudgetStore`, `TokenStore`); `Storage` is all
four, and both backends are `Storage`.

``MemoryStorage`` (the default) shares within one process; ``RedisStorage`` across processes
(imported on first use, so that ``redis`` is only needed by those who use it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resilience_kit.storage._base import (
    BreakerRecord,
    BreakerStateName,
    BreakerStore,
    BudgetStore,
    GateStore,
    Storage,
    TokenStore,
)
from resilience_kit.storage._memory import MemoryStorage

if TYPE_CHECKING:
    from resilience_kit.storage._redis import RedisStorage

__all__ = [
    "BreakerRecord",
    "BreakerStateName",
    "BreakerStore",
    "BudgetStore",
    "GateStore",
    "MemoryStorage",
    "RedisStorage",
    "Storage",
    "TokenStore",
]


def __getattr__(name: str) -> Any:
    if name == "RedisStorage":
        from resilience_kit.storage._redis import RedisStorage

        return RedisStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
