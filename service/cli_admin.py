"""``hubhooks info``, ``requeue``, ``replay`` and ``delete``: the queue from a shell, through
:mod:`service.jobs`, the functions the dashboard's buttons call."""

from __future__ import annotations

import sys
import time

from redis import Redis
from rq import Queue

from service import jobs
from service.progress import progress_of


def all_queues(connection: Redis, default: str) -> list[str]:
    """``default``, then every other queue RQ has seen a job enqueued on, by name."""
    others = sorted(queue.name for queue in Queue.all(connection=connection) if queue.name != default)
    return [default, *others]


def print_info(connection: Redis, queue_names: list[str]) -> int:
    """Print each queue's counts and every worker; return the exit code."""
    for name in queue_names:
        counts = jobs.queue_counts(connection, name)
        print(
            f"queue {name}: queued={counts.queued} running={counts.running} scheduled={counts.scheduled} "
            f"deferred={counts.deferred} finished={counts.finished} failed={counts.failed}"
        )
    found = jobs.workers(connection)
    running = [worker.current_job for worker in found if worker.current_job]
    reported = progress_of(connection, running) if running else {}
    print(f"workers: {len(found)}")
    for worker in found:
        beat = (
            "never"
            if worker.seconds_since_heartbeat is None
            else f"{worker.seconds_since_heartbeat:.0f}s ago"
        )
        print(
            f"  {worker.name} host={worker.hostname} pid={worker.pid} state={worker.state} "
            f"queues={','.join(worker.queues)} job={worker.current_job or '-'} heartbeat={beat} "
            f"done={worker.successful_jobs} failed={worker.failed_jobs}"
        )
        progress = reported.get(worker.current_job or "")
        if progress is not None:
            message = f" {progress.message!r}" if progress.message else ""
            ago = max(0.0, time.time() - progress.at)
            print(f"    progress={progress.percent}{message} reported {ago:.0f}s ago")
    return 0


def requeue(
    connection: Redis, queue_name: str, job_ids: list[str], everything: bool, route: str | None = None
) -> int:
    """Requeue failed jobs (``everything`` of ``queue_name``, else those of ``route`` on it, else
    ``job_ids``, each on the queue it came from); return the exit code (2 when a job id is not in
    the dead letter)."""
    if not everything and not job_ids and route is None:
        print("hubhooks requeue: name JOB_IDs or pass --all or --route ROUTE", file=sys.stderr)
        return 2
    try:
        if everything or route is not None:
            requeued = jobs.requeue_failed(connection, queue_name, route=None if everything else route)
        else:
            requeued = jobs.requeue_jobs(connection, job_ids)
    except LookupError as error:
        print(f"hubhooks requeue: {error}", file=sys.stderr)
        return 2
    for job_id in requeued:
        print(f"requeued {job_id}")
    print(f"{len(requeued)} job(s) requeued")
    return 0


def replay(connection: Redis, queue_name: str, app: str, job_ids: list[str], job_timeout: int) -> int:
    """Enqueue each job's event again with ``app``'s handlers; return the exit code."""
    from service.enqueue import EventQueue
    from service.errors import AppLoadError
    from service.loader import load_app

    try:
        loaded = load_app(app)
    except AppLoadError as error:
        print(f"hubhooks replay: {error}", file=sys.stderr)
        return 2
    event_queue = EventQueue(connection, queue_name, loaded.name, job_timeout)
    for job_id in job_ids:
        try:
            new_id = jobs.replay_event(event_queue, loaded.server.handlers, job_id)
        except LookupError as error:
            print(f"hubhooks replay: {error}", file=sys.stderr)
            return 2
        print(f"replayed {job_id} as {new_id}")
    return 0


def delete(connection: Redis, job_ids: list[str]) -> int:
    """Delete jobs that are not running; return the exit code (2 for a missing or running job)."""
    for job_id in job_ids:
        try:
            jobs.delete_job(connection, job_id)
        except (LookupError, ValueError) as error:
            print(f"hubhooks delete: {error}", file=sys.stderr)
            return 2
        print(f"deleted {job_id}")
    return 0
