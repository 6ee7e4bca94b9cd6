"""Counting failures per key (an address, an account) in a sliding window, to slow down guessing."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque


class FailureLimiter:
    """At most `limit` failures per key within `window`; older failures are forgotten."""

    def __init__(self, limit: int, window: dt.timedelta):
        self.limit = limit
        self.window = window
        self._failures: defaultdict[str, deque[dt.datetime]] = defaultdict(deque)

    def _recent(self, key: str, now: dt.datetime) -> deque[dt.datetime]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def blocked(self, key: str, now: dt.datetime) -> bool:
        return len(self._recent(key, now)) >= self.limit

    def fail(self, key: str, now: dt.datetime) -> None:
        self._failures[key].append(now)
