"""Events per minute over the last hour, by outcome: the dashboard's plot.

Events are bucketed by receive time (the events index's score) and grouped by their job's status
now. At most :data:`PLOT_LIMIT` events are read, the newest, so a flood costs a bounded read;
the total of the hour is one ZCOUNT, so the plot can say when it shows only part of it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from redis import Redis

from service.dashboard.events import EXPIRED
from service.dashboard.window import newest_events
from service.enqueue import events_key

PLOT_MINUTES = 60
PLOT_LIMIT = 5000

# Each RQ status, as the plot groups them; any other status is "in progress".
OUTCOME_OF_STATUS = {"finished": "finished", "failed": "failed", "stopped": "failed", "canceled": "failed"}
OUTCOMES = ("finished", "failed", "in progress", EXPIRED)


@dataclass(frozen=True)
class Activity:
    """``(minute, outcome, count)`` for every minute and outcome, and how much of the hour it read."""

    buckets: list[tuple[datetime, str, int]]
    read: int
    total: int

    @property
    def partial(self) -> bool:
        """More events arrived in the period than were read: older minutes are undercounted."""
        return self.read < self.total


def events_per_minute(
    connection: Redis, queue_names: Sequence[str], now: float | None = None, minutes: int = PLOT_MINUTES
) -> Activity:
    """The last ``minutes`` (this one included) of every queue's events, oldest first, every
    outcome of each, zeros too."""
    now = time.time() if now is None else now
    first_minute = (int(now) // 60 - minutes + 1) * 60
    window = newest_events(connection, queue_names, ("status",), PLOT_LIMIT, newest=now, oldest=first_minute)
    with connection.pipeline(transaction=False) as pipe:
        for name in queue_names:
            pipe.zcount(events_key(name), first_minute, now)
        total = sum(pipe.execute())
    tally: Counter[tuple[int, str]] = Counter()
    for entry in window:
        (status,) = entry.fields
        outcome = EXPIRED if status is None else OUTCOME_OF_STATUS.get(status.decode(), "in progress")
        tally[int(entry.received) // 60 * 60, outcome] += 1
    buckets = [
        (datetime.fromtimestamp(minute, timezone.utc), outcome, tally[minute, outcome])
        for minute in range(first_minute, first_minute + minutes * 60, 60)
        for outcome in OUTCOMES
    ]
    return Activity(buckets, read=len(window), total=total)
