"""Exponential backoff with full jitter (AWS architecture blog, 2015).

The n-th retry waits a uniformly random time between 0 and
``min(cap, base * 2 ** (n - 1))``: spread out, so that many submissions held up
by one receiver do not all come back at the same moment. ``rand`` is injectable
so that tests can pin the draw.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    base: float = 2.0
    cap: float = 900.0
    # An explicit wish of the receiver (Retry-After) is honoured up to this bound.
    retry_after_cap: float = 300.0
    rand: Callable[[], float] = field(default=random.random)

    def ceiling(self, attempt: int) -> float:
        """The upper bound of the wait after ``attempt`` failed attempts (>= 1)."""
        exponent = min(max(attempt, 1) - 1, 60)
        return float(min(self.cap, self.base * 2**exponent))

    def delay(self, attempt: int, retry_after: float = 0.0) -> float:
        """Seconds to wait before the next attempt."""
        drawn = self.rand() * self.ceiling(attempt)
        return max(drawn, min(retry_after, self.retry_after_cap))
