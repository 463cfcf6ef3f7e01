"""Starting an RQ worker for an app: a separate process (``hubhooks worker APP``) or in-process.

The default is RQ's ``SimpleWorker``: jobs run in the worker process itself, which imported the
app once, so a job costs no fork and async handlers share one event loop. ``fork=True`` gives
each job a fresh forked process (RQ's ``Worker``): isolation for handlers that leak or crash,
at the cost of a fork per job.
"""

from __future__ import annotations

import logging
import threading

from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from service.connection import connect
from service.loader import load_app
from service.settings import Settings
from workers.job import install_app

logger = logging.getLogger(__name__)


class ThreadSafeSimpleWorker(SimpleWorker):
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
) -> Worker:
    """An RQ worker on ``queue_names`` that reads and writes JSON jobs."""
    queues = [Queue(name, connection=connection, serializer=JSONSerializer) for name in queue_names]
    worker_class: type[Worker] = Worker if fork else SimpleWorker
    if in_thread:
        worker_class = ThreadSafeSimpleWorker
    return worker_class(queues, connection=connection, serializer=JSONSerializer)


def run_worker(
    app_spec: str,
    settings: Settings,
    queue_names: list[str] | None = None,
    burst: bool = False,
    fork: bool = False,
) -> bool:
    """Import the app, then work its queue until stopped (or until empty with ``burst``)."""
    if settings.embedded:
        raise SystemExit(
            "hubhooks worker needs REDIS_URL: a worker process cannot reach the embedded "
            "in-memory Redis of another process. Set REDIS_URL=redis://host:6379/0."
        )
    loaded = load_app(app_spec)
    install_app(loaded.name, loaded.server.handlers)
    assert settings.redis_url is not None
    connection = connect(settings.redis_url)
    worker = build_worker(connection, queue_names or [settings.queue], fork=fork)
    logger.info("Worker %s: app %s, routes %s", worker.name, app_spec, list(loaded.server.handlers))
    return worker.work(burst=burst, with_scheduler=True)
