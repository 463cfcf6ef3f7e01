"""Reading and steering the queue: counts, workers, the dead letter, requeue, replay, delete.

Shared by ``hubhooks info`` / ``requeue`` / ``replay`` / ``delete`` and the dashboard, so a button
and a command do the same thing. Reads never run RQ's registry cleanup (it is a worker's
maintenance task, and it uses signals that fail off the main thread of a web server): counts are
plain ZCARD/LLEN, so they stay O(1) with any backlog.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timezone
from typing import cast

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import DeserializationError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.results import Result
from rq.serializers import JSONSerializer

from service.enqueue import EventQueue, events_key
from service.handler import Handler

# How many job hashes one round trip reads when the dead letter is filtered by route, and how
# many jobs one requeue batch moves.
SCAN_BATCH = 1000
REQUEUE_BATCH = 500


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


def queue_key(name: str) -> str:
    """The Redis list of a queue's waiting job ids (workers pop from its head)."""
    return f"{Queue.redis_queue_namespace_prefix}{name}"


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


def failed_job_ids(connection: Redis, name: str, route: str | None = None) -> list[str]:
    """Ids of the jobs in the queue's dead letter (RQ's failed registry), newest first.

    With ``route``, only that route's jobs: the registry has no route index, so this reads each
    job's meta, :data:`SCAN_BATCH` per round trip (an action's cost, never a page view's).
    """
    registry = FailedJobRegistry(queue=_queue(connection, name))
    raw = cast("list[bytes]", connection.zrevrange(registry.key, 0, -1))
    ids = [job_id.decode() for job_id in raw]
    if route is None:
        return ids
    wanted: list[str] = []
    for start in range(0, len(ids), SCAN_BATCH):
        batch = ids[start : start + SCAN_BATCH]
        with connection.pipeline(transaction=False) as pipe:
            for job_id in batch:
                pipe.hget(Job.key_for(job_id), "meta")
            metas = pipe.execute()
        wanted.extend(job_id for job_id, meta in zip(batch, metas, strict=True) if route_of(meta) == route)
    return wanted


def requeue_failed(connection: Redis, name: str, route: str | None = None) -> list[str]:
    """Move every failed job of queue ``name`` (only ``route``'s, with ``route``) back onto it.

    Return the ids requeued; a job that left the dead letter meanwhile is skipped.
    """
    requeued, _refused = _requeue(connection, failed_job_ids(connection, name, route))
    return requeued


def requeue_jobs(connection: Redis, job_ids: Sequence[str]) -> list[str]:
    """Move failed jobs back onto the queue each came from; return their ids.

    Raise :class:`LookupError` naming a job that does not exist or is not in its queue's dead
    letter (the others are requeued).
    """
    requeued, refused = _requeue(connection, list(job_ids))
    if refused:
        job_id, origin = refused[0]
        reason = f" of {origin!r}." if origin else ": it does not exist (expired or deleted)."
        raise LookupError(f"Job {job_id!r} is not in the failed registry{reason}")
    return requeued


def _requeue(connection: Redis, job_ids: list[str]) -> tuple[list[str], list[tuple[str, str | None]]]:
    """Requeue failed jobs as RQ's ``FailedJobRegistry.requeue`` does, :data:`REQUEUE_BATCH` jobs
    in three round trips instead of four round trips each (100,000 jobs in seconds, not minutes).

    A job is claimed by removing it from its dead letter first, so two requeues at once (two
    visitors, or a visitor and the CLI) enqueue it once. Return the ids requeued and, for each
    job refused, its id and origin (``None``: the job does not exist).
    """
    requeued: list[str] = []
    refused: list[tuple[str, str | None]] = []
    for start in range(0, len(job_ids), REQUEUE_BATCH):
        batch = job_ids[start : start + REQUEUE_BATCH]
        found = Job.fetch_many(batch, connection=connection, serializer=JSONSerializer)
        present = [job for job in found if job is not None]
        refused += [(job_id, None) for job_id, job in zip(batch, found, strict=True) if job is None]
        with connection.pipeline(transaction=False) as pipe:
            for job in present:
                pipe.zrem(FailedJobRegistry(queue=_queue(connection, job.origin)).key, job.id)
            claimed = pipe.execute()
        with connection.pipeline() as pipe:
            for job, removed in zip(present, claimed, strict=True):
                if not removed:
                    refused.append((job.id, job.origin))
                    continue
                job.started_at = job.ended_at = None
                job._exc_info = ""  # as RQ's requeue does
                job.save(pipeline=pipe)
                _queue(connection, job.origin)._enqueue_job(job, pipeline=pipe)
                requeued.append(job.id)
            pipe.execute()
    return requeued, refused


def replay_event(event_queue: EventQueue, handlers: Mapping[str, Handler], job_id: str) -> str:
    """Enqueue a new job from the stored body of a past event, in any state; return its id.

    The new job takes the route's current delivery policy, except deduplication: a replay is
    asked for on purpose, so it is never swallowed as a duplicate of the event it repeats. Raise
    :class:`LookupError` when the job has expired or its route is no longer registered.
    """
    job = _fetch_or_lookup_error(event_queue.queue.connection, job_id)
    try:
        _app, route, body, _meta = job.args
    except (DeserializationError, ValueError):
        raise LookupError(f"Job {job_id!r} is not a hubhooks event.") from None
    handler = handlers.get(route)
    if handler is None:
        raise LookupError(f"Job {job_id!r} was for {route!r}, which this app no longer serves.")
    once_more = dataclasses.replace(handler, policy=dataclasses.replace(handler.policy, dedup_window=0))
    return event_queue.enqueue(once_more, body).meta.job_id


def delete_job(connection: Redis, job_id: str) -> None:
    """Delete a job that is not running: its hash, its results, its place in any registry, its
    event entry.

    Raise :class:`LookupError` when it does not exist and :class:`ValueError` while it runs (a
    worker would write it back when the run ends). Jobs waiting behind it in a serial lane
    (:mod:`service.lanes`) are released: RQ would otherwise wait forever for a deleted job.
    """
    job = _fetch_or_lookup_error(connection, job_id)
    if job.get_status(refresh=False) == JobStatus.STARTED:
        raise ValueError(f"Job {job_id!r} is running; delete it once it has ended.")
    waiting = [member.decode() for member in cast("set[bytes]", connection.smembers(job.dependents_key))]
    with connection.pipeline() as pipe:
        job.delete(pipeline=pipe)
        pipe.delete(Result.get_key(job_id))  # RQ's delete leaves the results stream to its TTL
        pipe.zrem(events_key(job.origin), job_id)
        pipe.execute()
    for dependent_id in waiting:
        _release(connection, dependent_id)


def _release(connection: Redis, job_id: str) -> None:
    """Enqueue a deferred job whose only dependency was deleted (RQ's own way in, no dependency)."""
    try:
        job = fetch_job(connection, job_id)
    except NoSuchJobError:
        return
    if job.get_status(refresh=False) != JobStatus.DEFERRED:
        return
    with connection.pipeline() as pipe:
        pipe.hdel(job.key, "dependency_id", "dependency_ids")
        pipe.hset(job.key, "status", JobStatus.QUEUED.value)  # RQ enqueues no job marked deferred
        pipe.delete(job.dependencies_key)
        DeferredJobRegistry(job.origin, connection=connection, serializer=JSONSerializer).remove(
            job, pipeline=pipe
        )
        pipe.execute()
    _queue(connection, job.origin).enqueue_job(fetch_job(connection, job_id))


def fetch_job(connection: Redis, job_id: str) -> Job:
    """A job by id, read with the JSON serializer hubhooks writes."""
    return Job.fetch(job_id, connection=connection, serializer=JSONSerializer)


def _fetch_or_lookup_error(connection: Redis, job_id: str) -> Job:
    try:
        return fetch_job(connection, job_id)
    except NoSuchJobError:
        raise LookupError(f"Job {job_id!r} does not exist (expired or deleted).") from None


def route_of(meta: bytes | None) -> str | None:
    """The route named by a job's raw ``meta`` field, ``None`` for a job that is not an event."""
    if not meta:
        return None
    try:
        route = JSONSerializer.loads(meta).get("route")
    except (ValueError, AttributeError):
        return None
    return route if isinstance(route, str) else None
