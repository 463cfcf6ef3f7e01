"""Fewer Redis round trips for RQ's per-job bookkeeping, with the same state in Redis.

RQ's worker loop makes about fifteen round trips per job, several of them repeats: a heartbeat
(two separate commands) before the dequeue, another right after the job; the state set to
"idle" at the end of a job and again before the next dequeue; a suspension check per job. For
short webhook jobs these round trips are most of the cost. :class:`LeanBookkeeping` keeps what
a dashboard or ``rq info`` reads (state, heartbeat, current job) with fewer of them:

- a worker heartbeat outside a pipeline is one pipelined round trip, and is skipped when the
  last one is less than :data:`HEARTBEAT_EVERY_SECONDS` old (the worker's key lives 80 s);
- setting the state the worker is already in writes nothing;
- ``rq suspend`` is checked at most once per :data:`SUSPENSION_CHECK_SECONDS`;
- the run's counts for ``/metrics`` (:mod:`service.job_stats`) and the worker's return to
  "idle" ride in the pipeline where RQ counts the job as done or failed;
- the job's ``last_heartbeat`` is not rewritten on its own as the run ends (RQ's end-of-job
  pipeline, which follows at once, records ``ended_at``).

It also remembers a stop request (:attr:`LeanBookkeeping.stop_was_requested`): RQ flags one only
when it comes during a job, and a worker asked to stop while idle must not be restarted.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from redis.client import Pipeline
from rq.job import Job
from rq.queue import Queue
from rq.utils import now
from rq.worker.base import BaseWorker, WorkerStatus

HEARTBEAT_EVERY_SECONDS = 1.0
SUSPENSION_CHECK_SECONDS = 1.0


class LeanBookkeeping(BaseWorker):
    """Mixed in before an RQ worker class; see the module docstring for what changes."""

    _last_standalone_heartbeat = 0.0
    _last_suspension_check = 0.0
    stop_was_requested = False

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_was_requested = True
        super().request_stop(signum, frame)

    def handle_job_success(self, job: Job, queue: Queue, started_job_registry: Any) -> None:
        self._ending_job = job
        super().handle_job_success(job, queue, started_job_registry)

    def handle_job_failure(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> None:
        self._ending_job = job
        super().handle_job_failure(job, queue, *args, **kwargs)

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        job.ended_at = now()

    def increment_successful_job_count(self, pipeline: Pipeline | None = None) -> None:
        super().increment_successful_job_count(pipeline)
        self._end_of_job(pipeline)

    def increment_failed_job_count(self, pipeline: Pipeline | None = None) -> None:
        super().increment_failed_job_count(pipeline)
        self._end_of_job(pipeline)

    def _end_of_job(self, pipeline: Pipeline | None) -> None:
        if pipeline is not None:
            self.set_state(WorkerStatus.IDLE, pipeline=pipeline)
        self._add_run_record(pipeline)

    def _add_run_record(self, pipeline: Pipeline | None) -> None:
        record = getattr(getattr(self, "_ending_job", None), "run_record", None)
        if record is None:
            return
        if pipeline is not None:
            record.add_to(pipeline)  # sent each time RQ (re)sends its pipeline: only one executes
            return
        with self.connection.pipeline(transaction=False) as own:
            record.add_to(own)
            own.execute()

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        if pipeline is not None:
            super().heartbeat(timeout, pipeline=pipeline)
            return
        moment = time.monotonic()
        if timeout is None and moment - self._last_standalone_heartbeat < HEARTBEAT_EVERY_SECONDS:
            return
        with self.connection.pipeline() as batch:
            super().heartbeat(timeout, pipeline=batch)
            batch.execute()
        self._last_standalone_heartbeat = moment

    def set_state(self, state: str, pipeline: Pipeline | None = None) -> None:
        if pipeline is None and state == getattr(self, "_state", None):
            return
        super().set_state(state, pipeline=pipeline)

    def check_for_suspension(self, burst: bool) -> Any:
        early_stop = getattr(self, "early_stop", None)  # set by workers.worker.work_until_stopped
        if early_stop is not None and early_stop.requested:
            early_stop.requested = False
            self.request_stop(signal.SIGTERM, None)  # idle: raises StopRequested, RQ stops cleanly
        moment = time.monotonic()
        if moment - self._last_suspension_check < SUSPENSION_CHECK_SECONDS:
            return None
        self._last_suspension_check = moment
        return super().check_for_suspension(burst)
