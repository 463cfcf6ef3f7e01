"""How job runs ended and how long they took, counted in Redis by the workers that ran them.

Why workers write them rather than ``/metrics`` deriving them at scrape time: RQ's finished and
failed registries are sizes of what is *kept* (entries expire), not counts of what *happened*,
and a job's duration is only in its own hash, so deriving a histogram would read every recent
job at each scrape. Instead each run adds to one hash per queue, ``hubhooks:runs:<queue>``, in
one pipelined round trip when it ends (a job costs RQ about ten): a count per route and outcome,
the sum of durations, and one histogram bucket. The hash is small (routes x (outcomes + buckets))
and never expires; it holds monotonic counters, as Prometheus expects, whatever the number and
lifetime of workers.

A run is one call of the handler, retries included: ``succeeded``, ``failed`` (it raised) or
``timed_out`` (over its time limit). A worker killed mid-run records nothing; RQ moves that job to
the failed registry, which ``hubhooks_queue_jobs{state="failed"}`` shows.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import RedisError
from rq import get_current_job
from rq.timeouts import JobTimeoutException

logger = logging.getLogger(__name__)

RUNS_KEY_PREFIX = "hubhooks:runs:"
RUN_OUTCOMES = ("succeeded", "failed", "timed_out")
# From "a quick call" to "a training run": the upper edges, in seconds.
DURATION_BUCKETS = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, math.inf)


def runs_key(queue_name: str) -> str:
    """The hash counting the runs of one queue's jobs."""
    return f"{RUNS_KEY_PREFIX}{queue_name}"


def _bucket(seconds: float) -> float:
    return next(edge for edge in DURATION_BUCKETS if seconds <= edge)


@dataclass(frozen=True)
class RunRecord:
    """How one run of a handler ended, and how long it took."""

    queue_name: str
    route: str
    outcome: str
    seconds: float

    def add_to(self, pipe: Pipeline) -> None:
        """Add this run's counts to ``pipe`` (sent with whatever else the pipeline carries)."""
        key = runs_key(self.queue_name)
        pipe.hincrby(key, f"runs:{self.outcome}:{self.route}", 1)
        pipe.hincrbyfloat(key, f"sum::{self.route}", self.seconds)
        pipe.hincrby(key, f"le:{_bucket(self.seconds)!r}:{self.route}", 1)


def record_run(connection: Redis, queue_name: str, route: str, outcome: str, seconds: float) -> None:
    """Add one run to the queue's counts (one round trip)."""
    with connection.pipeline(transaction=False) as pipe:
        RunRecord(queue_name, route, outcome, seconds).add_to(pipe)
        pipe.execute()


@contextmanager
def recorded_run(route: str) -> Iterator[None]:
    """Time the block (a handler's call) and record how it ended, on the current RQ job's queue.

    A job that can carry the record (``run_record``, as :class:`workers.event_job.EventJob`
    does) keeps it for the worker to send; any other RQ job has it written at once. Outside an
    RQ job (a direct call in a test) nothing is recorded. A failed write is logged and never
    fails the job.
    """
    job = get_current_job()
    started = time.monotonic()
    outcome = "failed"
    try:
        yield
        outcome = "succeeded"
    except JobTimeoutException:
        outcome = "timed_out"
        raise
    finally:
        if job is not None:
            record = RunRecord(job.origin, route, outcome, time.monotonic() - started)
            if hasattr(job, "run_record"):
                job.run_record = record
            else:
                try:
                    with job.connection.pipeline(transaction=False) as pipe:
                        record.add_to(pipe)
                        pipe.execute()
                except RedisError as error:
                    logger.warning("Job: %s run of job %s not counted: %s", route, job.id, error)


@dataclass
class RouteRuns:
    """One route's runs: counts by outcome, and the duration histogram (cumulative, as Prometheus
    reads it, one count per edge of :data:`DURATION_BUCKETS`)."""

    route: str
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RUN_OUTCOMES, 0))
    per_bucket: dict[float, int] = field(default_factory=lambda: dict.fromkeys(DURATION_BUCKETS, 0))
    seconds: float = 0.0

    @property
    def cumulative_buckets(self) -> list[tuple[float, int]]:
        total, found = 0, []
        for edge in DURATION_BUCKETS:
            total += self.per_bucket[edge]
            found.append((edge, total))
        return found


def read_runs(connection: Redis, queue_name: str) -> list[RouteRuns]:
    """Every route's runs on ``queue_name`` (one HGETALL), sorted by route."""
    raw = cast("dict[bytes, bytes]", connection.hgetall(runs_key(queue_name)))
    routes: dict[str, RouteRuns] = {}
    for name, value in raw.items():
        kind, _, rest = name.decode().partition(":")
        part, _, route = rest.partition(":")
        runs = routes.setdefault(route, RouteRuns(route))
        if kind == "runs" and part in runs.outcomes:
            runs.outcomes[part] = int(value)
        elif kind == "sum":
            runs.seconds = float(value)
        elif kind == "le" and float(part) in runs.per_bucket:
            runs.per_bucket[float(part)] = int(value)
    return [routes[route] for route in sorted(routes)]
