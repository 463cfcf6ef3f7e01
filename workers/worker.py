"""Starting an RQ worker for an app: a separate process (``hubhooks worker APP``) or in-process.

The default is RQ's ``SimpleWorker``: jobs run in the worker process itself, which imported the
app once, so a job costs no fork and async handlers share one event loop. ``fork=True`` gives
each job a fresh forked process (RQ's ``Worker``): isolation for handlers that leak or crash,
at the cost of a fork per job.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty
from rq.worker.base import BaseWorker, StopRequested

from service.connection import connect
from service.enqueue import app_queues
from service.loader import load_app
from service.redis_check import check_at_start
from service.redis_requirements import WORKER
from service.settings import Settings
from workers.bookkeeping import LeanBookkeeping
from workers.event_job import EventJob, EventJobQueue
from workers.job import install_app

logger = logging.getLogger(__name__)


# Crash detection. A worker SIGKILLed mid-job stops heartbeating; its job's entry in the started
# registry expires after JOB_HEARTBEAT_TTL, and the next registry cleanup (every
# MAINTENANCE_SECONDS, run by any live worker between dequeue waits of WORKER_TTL - 15 seconds)
# retries it. RQ's defaults (a heartbeat TTL of the job's whole timeout + 60 s for SimpleWorker,
# cleanup every 10 minutes) would leave a webhook's job stuck for an hour.
JOB_HEARTBEAT_SECONDS = 2
JOB_HEARTBEAT_TTL = 10
WORKER_TTL = 20
MAINTENANCE_SECONDS = 5
ABANDONED_JOB_DETECTION_SECONDS = JOB_HEARTBEAT_TTL + MAINTENANCE_SECONDS + (WORKER_TTL - 15)


class JobHeartbeat:
    """One thread per worker that heartbeats the job the worker runs, every few seconds.

    Started with the first job and kept for the worker's life (a thread per job would cost
    more than a no-op job). RQ's job heartbeat only updates a started-registry entry that still
    exists (``ZADD XX``), so a beat that races the end of a job cannot bring it back.
    """

    def __init__(self, worker: BaseWorker) -> None:
        self.worker = worker
        self._job: Job | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"JobHeartbeat(worker={self.worker.name!r}, job={getattr(self._job, 'id', None)!r})"

    @contextlib.contextmanager
    def running(self, job: Job) -> Iterator[None]:
        """Heartbeat ``job`` while the block runs."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="hubhooks-heartbeat", daemon=True)
            self._thread.start()
        self._job = job
        try:
            yield
        finally:
            with self._lock:
                self._job = None

    def _beat(self) -> None:
        while True:
            time.sleep(JOB_HEARTBEAT_SECONDS)
            with self._lock:
                job, execution = self._job, self.worker.execution
                if job is None or execution is None or execution.job_id != job.id:
                    continue  # between jobs, or before RQ has marked this one started
                try:
                    self.worker.maintain_heartbeats(job)
                except Exception:  # Redis away for a moment: the next beat tries again
                    logger.warning("Worker %s: heartbeat for job %s failed", self.worker.name, job.id)


class HeartbeatingSimpleWorker(LeanBookkeeping, SimpleWorker):
    """RQ's ``SimpleWorker`` plus a thread that heartbeats the running job every few seconds.

    A ``SimpleWorker`` runs the job in its own main thread, so nothing heartbeats meanwhile and RQ
    gives the job a heartbeat TTL as long as its timeout. Here a short TTL is kept alive by a
    thread, so a dead worker's job is noticed in seconds (see ``ABANDONED_JOB_DETECTION_SECONDS``).
    """

    def get_heartbeat_ttl(self, job: Job) -> int:
        return JOB_HEARTBEAT_TTL

    def execute_job(self, job: Job, queue: Queue) -> None:
        heartbeat = self.__dict__.setdefault("_job_heartbeat", JobHeartbeat(self))
        with heartbeat.running(job):
            # SimpleWorker.execute_job, minus its "idle" state write: the next dequeue makes it.
            self.prepare_execution(job)
            self.perform_job(job, queue)


class ForkingWorker(LeanBookkeeping, Worker):
    """RQ's forking ``Worker`` (``--fork``): each job in a fresh child process."""


class ThreadSafeSimpleWorker(HeartbeatingSimpleWorker):
    """A ``SimpleWorker`` that can run off the main thread (embedded, non-blocking launch).

    RQ installs signal handlers and enforces timeouts with SIGALRM, both of which only work in
    the main thread; off it, this worker skips the handlers and times jobs out with a timer.
    """

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            super()._install_signal_handlers()


def build_worker(
    connection: Redis, queue_names: list[str], fork: bool = False, in_thread: bool = False
) -> BaseWorker:
    """An RQ worker on ``queue_names`` that reads and writes JSON jobs."""
    queues = [
        EventJobQueue(name, connection=connection, serializer=JSONSerializer, job_class=EventJob)
        for name in queue_names
    ]
    worker_class: type[BaseWorker] = ForkingWorker if fork else HeartbeatingSimpleWorker
    if in_thread:
        worker_class = ThreadSafeSimpleWorker
    return worker_class(
        queues,
        connection=connection,
        serializer=JSONSerializer,
        job_class=EventJob,
        queue_class=EventJobQueue,
        worker_ttl=WORKER_TTL,
        maintenance_interval=MAINTENANCE_SECONDS,
        job_monitoring_interval=JOB_HEARTBEAT_SECONDS,
    )


def run_worker(
    app_spec: str,
    settings: Settings,
    queue_names: list[str] | None = None,
    burst: bool = False,
    fork: bool = False,
) -> bool:
    """Import the app, check Redis, then work the queues until stopped (or empty, with ``burst``).

    ``queue_names`` (``--queue``, in priority order) default to the app's default queue alone:
    endpoints routed elsewhere (``queue="gpu"``) wait for a worker started with ``--queue gpu``,
    on a machine that can run them. Raise :class:`~service.errors.RedisCheckError` when Redis
    cannot serve a worker; an unreachable Redis is waited for (see :mod:`service.redis_check`).
    """
    if settings.embedded:
        raise SystemExit(
            "hubhooks worker needs REDIS_URL: a worker process cannot reach the embedded "
            "in-memory Redis of another process. Set REDIS_URL=redis://host:6379/0."
        )
    loaded = load_app(app_spec)
    install_app(loaded.name, loaded.server.handlers)
    names = queue_names or [settings.queue]
    log_queue_plan(app_spec, names, app_queues(loaded.server.handlers.values(), settings.queue))
    check_at_start(settings, [WORKER])
    assert settings.redis_url is not None
    connection = connect(settings.redis_url)
    logger.info("Worker: app %s, queues %s, routes %s", app_spec, names, list(loaded.server.handlers))
    return work_until_stopped(lambda: build_worker(connection, names, fork=fork), burst=burst)


def log_queue_plan(app_spec: str, working: list[str], declared: list[str]) -> None:
    """Say which of the app's queues this worker leaves to others, and which it works in vain."""
    others = [name for name in declared if name not in working]
    if others:
        logger.info(
            "Worker: not working queue(s) %s of %s; run `hubhooks worker %s --queue NAME` for each, "
            "where their handlers can run",
            ", ".join(others),
            app_spec,
            app_spec,
        )
    unknown = [name for name in working if name not in declared]
    if unknown:
        logger.warning(
            "Worker: no endpoint of %s writes to queue(s) %s (its queues: %s)",
            app_spec,
            ", ".join(unknown),
            ", ".join(declared),
        )


class EarlyStop:
    """SIGTERM or SIGINT while a worker starts, before RQ has put its own handlers in place:
    remembered here, and honoured as a warm stop once the worker's loop begins (see
    :class:`~workers.bookkeeping.LeanBookkeeping`), so that the worker still deregisters and
    exits 0 rather than dying of the signal."""

    def __init__(self) -> None:
        self.requested = False
        self._pid = os.getpid()

    def __repr__(self) -> str:
        return f"EarlyStop(requested={self.requested})"

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for stop_signal in (signal.SIGTERM, signal.SIGINT):
                signal.signal(stop_signal, self._record)

    def _record(self, number: int, frame: object) -> None:
        if os.getpid() != self._pid:
            # A child RQ forked (its scheduler) before setting up its own handlers: the signal
            # gets its default effect there, as if this handler had never been inherited.
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        self.requested = True


def work_until_stopped(make_worker: Callable[[], BaseWorker], burst: bool = False) -> bool:
    """Run workers one after another until one stops on request (SIGTERM/SIGINT) or, with
    ``burst``, until the queue is empty.

    RQ's ``work()`` survives Redis outages while it waits for a job, but quits on a connection
    error anywhere else (a heartbeat after a job, say). Without this loop a Redis restart would
    need every worker restarted by hand; with it, a fresh worker starts once Redis answers again.
    """
    delay = 1.0
    early_stop = EarlyStop()
    while True:
        early_stop.install()
        try:
            worker = make_worker()  # RQ reads from Redis while building a worker
        except RedisError as error:
            logger.warning("Worker: Redis unreachable (%s); trying again in %.0fs", error, delay)
            time.sleep(delay)
            if early_stop.requested:
                return False
            delay = min(delay * 2, 30.0)
            continue
        if early_stop.requested:
            return False
        worker.early_stop = early_stop  # type: ignore[attr-defined]
        try:
            # RQ configures its own log handler at the level given here (INFO unless told).
            level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
            worked = worker.work(burst=burst, with_scheduler=True, logging_level=level)
        except RedisError as error:  # raised from RQ's own teardown while Redis is away
            logger.warning("Worker %s: lost Redis during shutdown: %s", worker.name, error)
            worked = False
        if burst or _asked_to_stop(worker):
            return worked
        logger.warning("Worker %s: quit without a stop request; restarting in %.0fs", worker.name, delay)
        try:
            time.sleep(delay)
        except StopRequested:
            return worked
        if _asked_to_stop(worker):
            return worked
        delay = min(delay * 2, 30.0)


def _asked_to_stop(worker: BaseWorker) -> bool:
    """Whether the worker got SIGTERM/SIGINT (idle or not), rather than quitting on an error."""
    return bool(getattr(worker, "stop_was_requested", False) or worker._stop_requested)
