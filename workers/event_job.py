"""The RQ job class hubhooks workers use: RQ's ``Job`` plus an attempt count kept in its meta.

``meta["attempt"]`` counts the runs of an event's job across retries and requeues (RQ's own
``retries_left`` restarts with a requeue). It is incremented as the run starts, and written in
the same pipeline RQ uses to mark the job started: counting costs no round trip of its own. The
``PERSIST`` RQ sends on its own as the run starts goes into that pipeline too.

A job whose endpoint has no serial lane is written with ``hubhooks_dependents: none``: no job
will ever wait for it, and :class:`EventJobQueue` skips RQ's search for its dependents (a round
trip) when it ends. Any other job, hubhooks' or not, gets RQ's usual treatment.

``superseded_by`` is set on the job of a coalesced event that a newer event replaced (see
:mod:`service.lanes`); RQ's scheduler can still enqueue such a job if it picked it up just as it
was replaced, and :func:`workers.job.run_event` then skips the handler.
"""

from __future__ import annotations

from typing import Any, TypeVar

from redis.client import Pipeline
from rq import Queue
from rq.job import Job, _job_stack
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

from service.job_stats import RunRecord
from service.job_template import NO_DEPENDENTS_FIELD


class EventJob(Job):
    """A job whose ``meta["attempt"]`` is the number of the run about to start."""

    superseded_by: str | None = None
    never_depended_on = False
    # How the handler's run ended (service.job_stats), sent with RQ's end-of-job pipeline.
    run_record: RunRecord | None = None

    def restore(self, raw_data: dict[bytes, Any]) -> None:
        super().restore(raw_data)
        replacement = raw_data.get(b"superseded_by")
        self.superseded_by = replacement.decode() if replacement else None
        self.never_depended_on = raw_data.get(NO_DEPENDENTS_FIELD.encode()) == b"none"

    def prepare_for_execution(self, worker_name: str, pipeline: Pipeline) -> None:
        super().prepare_for_execution(worker_name, pipeline)
        self.meta["attempt"] = int(self.meta.get("attempt", 0)) + 1
        pipeline.hset(self.key, "meta", self.serializer.dumps(self.meta))
        pipeline.persist(self.key)

    def perform(self) -> Any:
        """RQ's ``Job.perform`` without its ``PERSIST`` (sent with the preparation above)."""
        _job_stack.push(self)
        try:
            self._result = self._execute()
        finally:
            assert self is _job_stack.pop()
        return self._result

    # RQ builds a registry object on every access (and checks its serializer against a typing
    # Protocol, slow on Python 3.11); they only wrap a key, so one per queue serves every job.
    @property
    def started_job_registry(self) -> StartedJobRegistry:
        return _registry(StartedJobRegistry, self)

    @property
    def finished_job_registry(self) -> FinishedJobRegistry:
        return _registry(FinishedJobRegistry, self)

    @property
    def failed_job_registry(self) -> FailedJobRegistry:
        return _registry(FailedJobRegistry, self)

    @property
    def attempt(self) -> int:
        """The number of the current run, from 1 (0 before the first run starts)."""
        return int(self.meta.get("attempt", 0))


_Registry = TypeVar("_Registry", StartedJobRegistry, FinishedJobRegistry, FailedJobRegistry)
_registries: dict[tuple[type, str, int, type], Any] = {}


def _registry(kind: type[_Registry], job: Job) -> _Registry:
    """``kind`` for the job's queue, made once per queue, connection and job class."""
    key = (kind, job.origin, id(job.connection), type(job))
    found = _registries.get(key)
    if found is None or found.connection is not job.connection:
        found = kind(job.origin, connection=job.connection, job_class=type(job), serializer=job.serializer)
        _registries[key] = found
    return found


class EventJobQueue(Queue):
    """RQ's ``Queue`` for hubhooks workers: no search for the dependents of a job that has none."""

    def enqueue_dependents(
        self,
        job: Job,
        pipeline: Pipeline | None = None,
        exclude_job_id: str | None = None,
        refresh_job_status: bool = True,
    ) -> None:
        if pipeline is not None and getattr(job, "never_depended_on", False):
            return  # RQ's caller starts the transaction itself when this adds nothing
        super().enqueue_dependents(job, pipeline, exclude_job_id, refresh_job_status)
