"""The dashboard's counts: per queue (exact), per route (over the newest events), and liveness.

An app has one queue, or more when endpoints name their own (``queue="gpu"``): each is counted
and checked for a live worker. Per queue, every state is one ZCARD or LLEN
(:func:`service.jobs.queue_counts`): O(1) whatever the backlog. Per route there is no such
index: RQ's registries hold job ids only, and the route lives in each job's hash. Reading every
failed job's hash would make a page view O(backlog), and a per-route index would have to be
written by the front end and every worker, outside this package. So per-route counts cover a
bounded window, the newest :data:`ROUTE_WINDOW` events of the events indices (their ``status``,
``meta`` and ``enqueued_at``, read by :mod:`~service.dashboard.window` in one round trip). They
are exact while the indices hold fewer events than that, and say how many events they cover
when they hold more.

Nothing here runs RQ's registry cleanup (see :mod:`service.jobs`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from redis import Redis
from rq.job import Job

from service import jobs
from service.dashboard.window import newest_events
from service.progress import Progress, progress_of

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
    """How many of a route's events on one queue (within the window) are in each state."""

    route: str
    queue: str = ""
    queued: int = 0
    running: int = 0
    scheduled: int = 0
    finished: int = 0
    failed: int = 0
    oldest_queued_seconds: float | None = None


@dataclass(frozen=True)
class QueueState:
    """One queue's exact counts, its oldest wait, and the live workers that serve it."""

    counts: jobs.QueueCounts
    oldest_queued_seconds: float | None
    workers: list[jobs.WorkerInfo]

    @property
    def name(self) -> str:
        return self.counts.queue

    @property
    def stalled(self) -> bool:
        """Events wait on this queue and no live worker serves it: nothing will run them."""
        return self.counts.queued > 0 and not self.workers


@dataclass(frozen=True)
class Overview:
    """Each queue's exact counts, the routes' counts over the window, and who works the queues.

    ``progress`` holds the reported progress of the jobs the workers are running.
    """

    queues: list[QueueState]
    routes: list[RouteCounts]
    window: int
    workers: list[jobs.WorkerInfo]
    progress: dict[str, Progress] = field(default_factory=dict)

    @property
    def stalled(self) -> list[QueueState]:
        """The queues where events wait and no live worker listens."""
        return [queue for queue in self.queues if queue.stalled]

    def total(self, column: str) -> int:
        """A count summed over the queues (``scheduled`` includes RQ's deferred jobs)."""
        if column == "scheduled":
            return sum(queue.counts.scheduled + queue.counts.deferred for queue in self.queues)
        return sum(getattr(queue.counts, column) for queue in self.queues)


def overview(
    connection: Redis, queue_names: Sequence[str], routes: Mapping[str, str], now: float | None = None
) -> Overview:
    """Counts for each of ``queue_names`` and for each of ``routes`` (route -> its queue), plus
    any other route seen in the window, and the live workers of those queues."""
    now = time.time() if now is None else now
    everyone = jobs.workers(connection)
    live = [worker for worker in everyone if set(worker.queues) & set(queue_names)]
    states = [
        QueueState(
            counts=jobs.queue_counts(connection, name),
            oldest_queued_seconds=oldest_queued_seconds(connection, name, now),
            workers=[worker for worker in live if name in worker.queues],
        )
        for name in queue_names
    ]
    per_route, window = route_counts(connection, queue_names, routes, now)
    running = [worker.current_job for worker in live if worker.current_job]
    return Overview(states, per_route, window, live, progress_of(connection, running) if running else {})


def oldest_queued_seconds(connection: Redis, queue_name: str, now: float) -> float | None:
    """How long the job at the head of the queue has waited (workers pop from the head)."""
    queue_key = jobs.queue_key(queue_name)
    head = cast("bytes | None", connection.lindex(queue_key, 0))
    if head is None:
        return None
    return _age(cast("bytes | None", connection.hget(Job.key_for(head.decode()), "enqueued_at")), now)


def route_counts(
    connection: Redis, queue_names: Sequence[str], routes: Mapping[str, str], now: float
) -> tuple[list[RouteCounts], int]:
    """Per-route counts over the newest :data:`ROUTE_WINDOW` events, and how many events that was.

    A route is counted on the queue its events were written to (a route moved to another queue
    shows on both while its old events last).
    """
    window = newest_events(connection, queue_names, ("status", "meta", "enqueued_at"), ROUTE_WINDOW)
    tally: dict[tuple[str, str], Counter[str]] = {
        (queue, route): Counter() for route, queue in routes.items()
    }
    oldest: dict[tuple[str, str], float] = {}
    for entry in window:
        status, meta, enqueued = entry.fields
        route = jobs.route_of(meta)
        column = COLUMN_OF_STATUS.get(status.decode() if status else "")
        if route is None or column is None:
            continue  # expired, or not a hubhooks job
        key = (entry.queue, route)
        tally.setdefault(key, Counter())[column] += 1
        age = _age(enqueued, now) if column == "queued" else None
        if age is not None:
            oldest[key] = max(age, oldest.get(key, 0.0))
    found = [
        RouteCounts(route, queue, **counter, oldest_queued_seconds=oldest.get((queue, route)))
        for (queue, route), counter in tally.items()
    ]
    order = {name: index for index, name in enumerate(queue_names)}
    return sorted(found, key=lambda row: (order.get(row.queue, len(order)), row.route)), len(window)


def _age(timestamp: bytes | None, now: float) -> float | None:
    """Seconds since an RQ timestamp (``2024-01-01T00:00:00.000000Z``), or ``None`` if unreadable."""
    if not timestamp:
        return None
    try:
        moment = datetime.fromisoformat(timestamp.decode().replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, now - moment.timestamp())
