"""Reads shared by every dashboard session for a moment, so that N open dashboards cost one.

The counts and the plot are the same for every logged-in visitor; each visitor's timer would
otherwise read them again every few seconds. Values live :data:`SHARED_SECONDS` (less than the
refresh period, so one visitor always sees fresh values); an action clears them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

SHARED_SECONDS = 2.0


class SharedReads:
    """A small thread-safe memo with an age limit (Gradio runs callbacks in worker threads)."""

    def __init__(self, seconds: float = SHARED_SECONDS) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._values: dict[Hashable, tuple[float, Any]] = {}

    def __repr__(self) -> str:
        return f"SharedReads(seconds={self.seconds}, keys={len(self._values)})"

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The value read under ``key`` less than ``seconds`` ago, else ``read()`` now.

        The lock is held while reading, so sessions asking at once wait for one read.
        """
        with self._lock:
            kept = self._values.get(key)
            if kept is not None and time.monotonic() - kept[0] < self.seconds:
                return kept[1]
            value = read()
            self._values[key] = (time.monotonic(), value)
            return value

    def clear(self) -> None:
        """Forget every value (after an action changed what they show)."""
        with self._lock:
            self._values.clear()
