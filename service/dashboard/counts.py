"""The dashboard's counts: per queue (exact), per route (over the newest events), and liveness.

Per queue, every state is one ZCARD or LLEN (:func:`service.jobs.queue_counts`): O(1) whatever the
backlog. Per route there is no such index: RQ's registries hold job ids only, and the route lives
in each job's hash. Reading every failed job's hash would make a page view O(backlog), and a
per-route index would have to be written by the front end and every worker, outside this package.
So per-route counts cover a bounded window, the newest :data:`ROUTE_WINDOW` events of the events
index (their ``status``, ``meta`` and ``enqueued_at``, read by :mod:`~service.dashboard.window`
in one round trip). They are exact while the index holds fewer events than that, and say how
many events they cover when it holds more.

Nothing here runs RQ's registry cleanup (see :mod:`service.jobs`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from redis import Redis
from rq.job import Job

from service import jobs
from service.dashboard.window import newest_events

ROUTE_WINDOW = 2000

# RQ's job statuses, as the dashboard's columns name them.
COLUMN_OF_STATUS = {
    "queued": "queued",
    "started": "running",
    "scheduled": "scheduled",
    "deferred": "scheduled",
    "finished": "finished",
    "failed": "failed",
    "stopped": "failed",
    "canceled": "failed",
}


@dataclass(frozen=True)
class RouteCounts:
    """How many of a route's events (within the window) are in each state."""

    route: str
    queued: int = 0
    running: int = 0
    scheduled: int = 0
    finished: int = 0
    failed: int = 0
    oldest_queued_seconds: float | None = None


@dataclass(frozen=True)
class Overview:
    """The queue's exact counts, the routes' counts over the window, and who works the queue."""

    queue: jobs.QueueCounts
    oldest_queued_seconds: float | None
    routes: list[RouteCounts]
    window: int
    workers: list[jobs.WorkerInfo]

    @property
    def stalled(self) -> bool:
        """Events wait and no live worker listens on the queue: nothing will run them."""
        return self.queue.queued > 0 and not self.workers


def overview(connection: Redis, queue_name: str, routes: Sequence[str], now: float | None = None) -> Overview:
    """Counts for the queue and for each of ``routes`` (plus any other route seen in the window)."""
    now = time.time() if now is None else now
    counts = jobs.queue_counts(connection, queue_name)
    live = [worker for worker in jobs.workers(connection) if queue_name in worker.queues]
    per_route, window = route_counts(connection, queue_name, routes, now)
    return Overview(
        queue=counts,
        oldest_queued_seconds=oldest_queued_seconds(connection, queue_name, now),
        routes=per_route,
        window=window,
        workers=live,
    )


def oldest_queued_seconds(connection: Redis, queue_name: str, now: float) -> float | None:
    """How long the job at the head of the queue has waited (workers pop from the head)."""
    queue_key = jobs.queue_key(queue_name)
    head = cast("bytes | None", connection.lindex(queue_key, 0))
    if head is None:
        return None
    return _age(cast("bytes | None", connection.hget(Job.key_for(head.decode()), "enqueued_at")), now)


def route_counts(
    connection: Redis, queue_name: str, routes: Sequence[str], now: float
) -> tuple[list[RouteCounts], int]:
    """Per-route counts over the newest :data:`ROUTE_WINDOW` events, and how many events that was."""
    window = newest_events(connection, queue_name, ("status", "meta", "enqueued_at"), ROUTE_WINDOW)
    tally: dict[str, Counter[str]] = {route: Counter() for route in routes}
    oldest: dict[str, float] = {}
    for entry in window:
        status, meta, enqueued = entry.fields
        route = jobs.route_of(meta)
        column = COLUMN_OF_STATUS.get(status.decode() if status else "")
        if route is None or column is None:
            continue  # expired, or not a hubhooks job
        tally.setdefault(route, Counter())[column] += 1
        age = _age(enqueued, now) if column == "queued" else None
        if age is not None:
            oldest[route] = max(age, oldest.get(route, 0.0))
    found = [
        RouteCounts(route, **counter, oldest_queued_seconds=oldest.get(route))
        for route, counter in tally.items()
    ]
    return sorted(found, key=lambda counts: counts.route), len(window)


def _age(timestamp: bytes | None, now: float) -> float | None:
    """Seconds since an RQ timestamp (``2024-01-01T00:00:00.000000Z``), or ``None`` if unreadable."""
    if not timestamp:
        return None
    try:
        moment = datetime.fromisoformat(timestamp.decode().replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, now - moment.timestamp())
