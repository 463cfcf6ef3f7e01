"""``hubhooks info`` and ``hubhooks requeue``: the queue from a shell, via :mod:`service.jobs`."""

from __future__ import annotations

import sys

from redis import Redis

from service import jobs


def print_info(connection: Redis, queue_names: list[str]) -> int:
    """Print each queue's counts and every worker; return the exit code."""
    for name in queue_names:
        counts = jobs.queue_counts(connection, name)
        print(
            f"queue {name}: queued={counts.queued} running={counts.running} scheduled={counts.scheduled} "
            f"deferred={counts.deferred} finished={counts.finished} failed={counts.failed}"
        )
    found = jobs.workers(connection)
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
    return 0


def requeue(connection: Redis, queue_name: str, job_ids: list[str], everything: bool) -> int:
    """Requeue failed jobs; return the exit code (2 when a job id is not in the dead letter)."""
    if not everything and not job_ids:
        print("hubhooks requeue: name JOB_IDs or pass --all", file=sys.stderr)
        return 2
    try:
        requeued = jobs.requeue_failed(connection, queue_name, None if everything else job_ids)
    except LookupError as error:
        print(f"hubhooks requeue: {error}", file=sys.stderr)
        return 2
    for job_id in requeued:
        print(f"requeued {job_id}")
    print(f"{len(requeued)} job(s) requeued on {queue_name}")
    return 0
