"""Values a worker keeps for a short while (per process; the time comes from core.clock)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from core.clock import utcnow


class TimedCache:
    """A dict whose entries count only while younger than the ``ttl`` each read passes.

    The ttl is given on every call because it is configuration (tests set it to 0, which keeps
    nothing). Past ``max_items`` the cache starts over: simpler than an LRU, and these caches
    hold what a few rounds need.
    """

    def __init__(self, max_items: int):
        self.max_items = max_items
        self._items: dict[Any, tuple] = {}

    def get(self, key, ttl: timedelta):
        hit = self._items.get(key)
        if hit is not None and utcnow() - hit[0] < ttl:
            return hit[1]
        return None

    def put(self, key, value, ttl: timedelta) -> None:
        if not ttl:
            return
        if len(self._items) >= self.max_items:
            self._items.clear()
        self._items[key] = (utcnow(), value)

    def clear(self) -> None:
        self._items.clear()


class BoundedDict(dict):
    """A dict for values that never go stale, capped at ``max_items``: ``put`` drops the oldest
    entries first (first in, first out). Reads are plain dict reads, with no lock."""

    def __init__(self, max_items: int):
        super().__init__()
        self.max_items = max_items
        self._lock = threading.Lock()

    def put(self, key, value) -> None:
        with self._lock:
            while len(self) >= self.max_items:
                try:
                    oldest = next(iter(self))
                except (StopIteration, RuntimeError):  # emptied or changed by another thread
                    continue
                self.pop(oldest, None)
            self[key] = value
