"""What Redis holds, as Prometheus metrics read at scrape time: queues, workers, job runs.

For each queue the app writes to (its default queue and each endpoint's ``queue=``):

- ``hubhooks_queue_jobs{queue, state}``: queued, running, scheduled, deferred, finished, failed
  (one LLEN and five ZCARDs in one round trip; RQ's registry cleanup is never run here: it is a
  worker's job, and it uses signals, which fail off the main thread);
- ``hubhooks_queue_oldest_event_age_seconds{queue}``: how long the head of the queue has waited
  (0 when the queue is empty);
- ``hubhooks_workers{queue, state}``: live workers listening on the queue, by state;
- ``hubhooks_job_runs_total{queue, route, outcome}`` and ``hubhooks_job_duration_seconds{queue,
  route}``: the runs workers counted (:mod:`service.job_stats`).

Plus ``hubhooks_redis_up``: 0 when Redis did not answer, in which case nothing else of this
collector is shown (the front end's own counters still are). Every front end shows the same
values for these: scrape one, or aggregate with ``max``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from service import jobs
from service.dashboard.counts import oldest_queued_seconds
from service.enqueue import EventQueue, app_queues
from service.handler import Handler
from service.job_stats import RUN_OUTCOMES, read_runs

logger = logging.getLogger(__name__)

QUEUE_STATES = ("queued", "running", "scheduled", "deferred", "finished", "failed")
WORKER_STATES = ("idle", "busy", "suspended")


class QueueCollector(Collector):
    """Reads the queues ``handlers`` write to through ``event_queue`` (and the workers on them)
    when Prometheus scrapes."""

    def __init__(self, event_queue: EventQueue, handlers: Iterable[Handler]) -> None:
        self.event_queue = event_queue
        self.queue_names = app_queues(handlers, event_queue.queue.name)

    def __repr__(self) -> str:
        return f"QueueCollector(queues={self.queue_names!r})"

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("hubhooks_redis_up", "Whether Redis answered this scrape (1) or not (0).")
        names = self.queue_names + [name for name in self.event_queue.queues if name not in self.queue_names]
        try:
            families = self._read(names)
        except RedisError as error:
            logger.warning("Metrics: Redis did not answer the scrape: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self, queue_names: Sequence[str]) -> list[Metric]:
        connection = self.event_queue.queue.connection
        now = time.time()
        depth = GaugeMetricFamily(
            "hubhooks_queue_jobs", "Jobs of a queue in each state.", labels=["queue", "state"]
        )
        oldest = GaugeMetricFamily(
            "hubhooks_queue_oldest_event_age_seconds",
            "How long the oldest waiting event of a queue has waited (0 when none waits).",
            labels=["queue"],
        )
        workers = GaugeMetricFamily(
            "hubhooks_workers", "Live workers listening on a queue, by state.", labels=["queue", "state"]
        )
        runs = CounterMetricFamily(
            "hubhooks_job_runs",
            "Handler runs (retries included) by how they ended: succeeded, failed, timed_out.",
            labels=["queue", "route", "outcome"],
        )
        durations = HistogramMetricFamily(
            "hubhooks_job_duration_seconds", "How long handler runs took.", labels=["queue", "route"]
        )
        live = jobs.workers(connection)
        for name in queue_names:
            counts = jobs.queue_counts(connection, name)
            for state in QUEUE_STATES:
                depth.add_metric([name, state], getattr(counts, state))
            oldest.add_metric([name], oldest_queued_seconds(connection, name, now) or 0.0)
            states = Counter(worker.state for worker in live if name in worker.queues)
            for state in sorted(set(WORKER_STATES) | set(states)):
                workers.add_metric([name, state], states[state])
            for route_runs in read_runs(connection, name):
                for outcome in RUN_OUTCOMES:
                    runs.add_metric([name, route_runs.route, outcome], route_runs.outcomes[outcome])
                durations.add_metric(
                    [name, route_runs.route],
                    buckets=[(_edge(edge), count) for edge, count in route_runs.cumulative_buckets],
                    sum_value=route_runs.seconds,
                )
        return [depth, oldest, workers, runs, durations]


def _edge(edge: float) -> str:
    return "+Inf" if edge == float("inf") else repr(edge)
