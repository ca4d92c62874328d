"""Where breakers, rate-limit gates and retry budgets keep the state they share (public API).

``MemoryStorage`` (the default) shares within one process; ``RedisStorage`` across processes.
"""

from __future__ import annotations

from resilience_kit.storage._base import BreakerRecord, BreakerStateName, Storage
from resilience_kit.storage._memory import MemoryStorage

__all__ = ["BreakerRecord", "BreakerStateName", "MemoryStorage", "Storage"]
