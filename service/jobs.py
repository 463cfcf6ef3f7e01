"""Reading and steering the queue: counts, workers, the dead letter, requeue.

Shared by ``hubhooks info`` / ``hubhooks requeue`` (and the dashboard). Reads never run RQ's
registry cleanup (it is a worker's maintenance task, and it uses signals that fail off the main
thread of a web server): counts are plain ZCARD/LLEN, so they stay O(1) with any backlog.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timezone

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.serializers import JSONSerializer


@dataclass(frozen=True)
class QueueCounts:
    """How many jobs of one queue are in each state."""

    queue: str
    queued: int
    running: int
    scheduled: int
    deferred: int
    finished: int
    failed: int


@dataclass(frozen=True)
class WorkerInfo:
    """One live worker, as its last heartbeat described it."""

    name: str
    hostname: str
    pid: int | None
    state: str
    queues: list[str]
    current_job: str | None
    seconds_since_heartbeat: float | None
    successful_jobs: int
    failed_jobs: int


def _queue(connection: Redis, name: str) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def queue_counts(connection: Redis, name: str) -> QueueCounts:
    """Counts of one queue's states, without cleaning any registry."""
    queue = _queue(connection, name)
    with connection.pipeline(transaction=False) as pipe:
        pipe.llen(queue.key)
        for registry_class in (
            StartedJobRegistry,
            ScheduledJobRegistry,
            DeferredJobRegistry,
            FinishedJobRegistry,
            FailedJobRegistry,
        ):
            pipe.zcard(registry_class(queue=queue).key)
        queued, running, scheduled, deferred, finished, failed = pipe.execute()
    return QueueCounts(name, queued, running, scheduled, deferred, finished, failed)


def workers(connection: Redis) -> list[WorkerInfo]:
    """Every worker registered in Redis (a dead worker drops out when its key expires)."""
    found = []
    for worker in Worker.all(connection=connection, serializer=JSONSerializer):
        beat = worker.last_heartbeat
        since = None
        if beat is not None:
            since = max(0.0, time.time() - beat.replace(tzinfo=beat.tzinfo or timezone.utc).timestamp())
        found.append(
            WorkerInfo(
                name=worker.name,
                hostname=worker.hostname or "?",
                pid=worker.pid,
                state=str(worker.get_state()),
                queues=worker.queue_names(),
                current_job=worker.get_current_job_id(),
                seconds_since_heartbeat=since,
                successful_jobs=worker.successful_job_count,
                failed_jobs=worker.failed_job_count,
            )
        )
    return sorted(found, key=lambda info: info.name)


def failed_job_ids(connection: Redis, name: str) -> list[str]:
    """Ids of the jobs in the queue's dead letter (RQ's failed registry), newest first."""
    registry = FailedJobRegistry(queue=_queue(connection, name))
    return [job_id.decode() for job_id in connection.zrevrange(registry.key, 0, -1)]


def requeue_failed(connection: Redis, name: str, job_ids: list[str] | None = None) -> list[str]:
    """Move failed jobs (all, or ``job_ids``) back onto the queue; return the ids requeued.

    Raise :class:`LookupError` naming a job id that is not in the dead letter.
    """
    registry = FailedJobRegistry(queue=_queue(connection, name))
    wanted = failed_job_ids(connection, name) if job_ids is None else job_ids
    requeued = []
    for job_id in wanted:
        try:
            registry.requeue(job_id)
        except (NoSuchJobError, InvalidJobOperation):
            raise LookupError(f"Job {job_id!r} is not in the failed registry of {name!r}.") from None
        requeued.append(job_id)
    return requeued


def fetch_job(connection: Redis, job_id: str) -> Job:
    """A job by id, read with the JSON serializer hubhooks writes."""
    return Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
