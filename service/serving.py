"""Running the front end: on a real Redis, or on the embedded default.

- Real Redis (``REDIS_URL``): uvicorn serves in the main thread; with ``workers=N`` a
  :class:`~workers.pool.WorkerPool` runs N worker processes beside it, otherwise handlers run
  only on ``hubhooks worker`` processes started elsewhere.
- Embedded (no ``REDIS_URL``): an in-memory Redis, uvicorn in a thread and an RQ worker in the
  main thread, because RQ installs signal handlers, which only the main thread may do.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from service import console
from service.connection import (
    connect,
    connect_async,
    embedded_async_client,
    embedded_client,
    embedded_server,
)
from service.dashboard import DashboardAuth, DashboardContext
from service.enqueue import EventQueue, app_queues
from service.errors import RedisCheckError
from service.frontend import WebhookDispatch, create_api
from service.metrics import FrontEndMetrics, metrics_router
from service.queue_metrics import QueueCollector
from service.redis_check import check_at_start
from service.redis_requirements import FRONT_END, WORKER
from service.server import WebhooksServer
from service.settings import Settings
from service.tunnel import ShareOptions, open_share_link
from service.ui import mount_ui

logger = logging.getLogger(__name__)

_GRADIO_LAUNCH_ARGUMENTS_WE_HONOUR = ("server_name", "server_port")
_GRADIO_SHARE_ARGUMENTS = ("share_server_address", "share_server_tls_certificate", "share_server_protocol")


def build_front_end(
    server: WebhooksServer, event_queue: EventQueue, settings: Settings, base_url: str
) -> FastAPI:
    """The webhook routes and ``/metrics``, then the UI mounted at ``/``: the landing page (or
    ``server.ui``) and the dashboard."""
    collector = QueueCollector(event_queue, server.handlers.values())
    metrics = FrontEndMetrics(server.handlers, collectors=[collector])
    api = create_api(
        server.handlers.values(),
        event_queue,
        secret=_secret(server, settings),
        max_body_bytes=settings.max_body_bytes,
        retry_after_seconds=settings.retry_after_seconds,
        metrics=metrics,
    )
    auth = DashboardAuth.from_settings(settings, _secret(server, settings))
    api.include_router(metrics_router(metrics, auth))
    dashboard = DashboardContext(event_queue, server.handlers, auth, durable=not settings.embedded)
    return mount_ui(api, server.ui, list(server.handlers), base_url, dashboard)


def _secret(server: WebhooksServer, settings: Settings) -> SecretStr | None:
    return server.webhook_secret or settings.webhook_secret


def serve_main_script(
    server: WebhooksServer, prevent_thread_lock: bool = False, **launch_kwargs: Any
) -> None:
    """``launch()`` from a user's script: serve the handlers of ``__main__``."""
    overrides = {k: launch_kwargs.pop(k) for k in _GRADIO_LAUNCH_ARGUMENTS_WE_HONOUR if k in launch_kwargs}
    share = launch_kwargs.pop("share", None)
    if share is None:  # Gradio's own default: the GRADIO_SHARE environment variable
        share = os.environ.get("GRADIO_SHARE", "").lower() == "true"
    given = {k: launch_kwargs.pop(k) for k in _GRADIO_SHARE_ARGUMENTS if k in launch_kwargs}
    share_options = ShareOptions(**{k.removeprefix("share_"): v for k, v in given.items()})
    if launch_kwargs:
        logger.warning("Launch: ignoring Gradio launch arguments %s", sorted(launch_kwargs))
    settings = Settings(**overrides)
    main_file = getattr(sys.modules["__main__"], "__file__", None)
    app_name = os.path.relpath(main_file) if main_file else "__main__"
    try:
        serve(
            server, app_name, settings, block=not prevent_thread_lock, share=share_options if share else None
        )
    except RedisCheckError as error:
        if prevent_thread_lock:  # a notebook or a test: the caller handles it
            raise
        # `python app.py`: the same answer as `hubhooks serve app.py`, not a traceback.
        print(f"hubhooks: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def serve(
    server: WebhooksServer,
    app_name: str,
    settings: Settings,
    block: bool = True,
    share: ShareOptions | None = None,
) -> None:
    """Start the front end for ``server``; block until it stops unless ``block`` is false.

    On a real Redis, check it first (:mod:`service.redis_check`), for the worker pool too when
    there is one: :class:`~service.errors.RedisCheckError` says what to change. With ``share``,
    a Gradio share link is opened first (if a secret is set; see :mod:`service.tunnel`), and its
    URL is the one printed and shown on the landing page.
    """
    if not settings.embedded:
        check_at_start(settings, [FRONT_END, WORKER] if settings.workers else [FRONT_END])
    secret_is_set = _secret(server, settings) is not None
    console.say(console.secret_status_lines(secret_is_set))
    base_url = console.public_url(settings.host, settings.server_port)
    if share is not None:
        base_url = open_share_link(settings.host, settings.server_port, secret_is_set, share) or base_url
    if settings.embedded:
        console.say(console.embedded_warning_lines())
        fake_redis = embedded_server()
        connection = embedded_client(fake_redis)
        async_connection = embedded_async_client(fake_redis)
    else:
        assert settings.redis_url is not None
        connection = connect(settings.redis_url, settings.redis_timeout_seconds)
        async_connection = connect_async(settings.redis_url, settings.redis_timeout_seconds)
    # Every queue of the app from the start, so /health/ready counts the workers of each.
    event_queue = EventQueue(
        connection,
        settings.queue,
        app_name,
        settings.job_timeout,
        async_connection=async_connection,
        handlers=server.handlers.values(),
    )
    api = build_front_end(server, event_queue, settings, base_url)
    http = uvicorn.Server(
        uvicorn.Config(
            WebhookDispatch(api),
            host=settings.host,
            port=settings.server_port,
            timeout_graceful_shutdown=30,
            log_config=None,
        )
    )
    _freeze_startup_heap()
    ready = console.ready_lines(base_url, list(server.handlers))
    if settings.embedded:
        _serve_embedded(http, server, app_name, embedded_client(fake_redis), settings, block, ready)
    else:
        _serve_durable(http, app_name, list(event_queue.queues), settings, block, ready)


def _freeze_startup_heap() -> None:
    """Keep the garbage collector off the objects of start-up (Gradio's are many).

    Without it, every full collection walks the whole imported heap while requests wait:
    tens of milliseconds of p99 under load. ``gc.freeze`` moves what exists now out of the
    collector's sight (https://docs.python.org/3/library/gc.html#gc.freeze).
    """
    gc.collect()
    gc.freeze()


def _serve_durable(
    http: uvicorn.Server, app_name: str, queues: list[str], settings: Settings, block: bool, ready: list[str]
) -> None:
    from workers.pool import WorkerPool

    # The pool is this machine's only workers: they work every queue of the app.
    pool = WorkerPool(app_name, settings.workers, queues=queues) if settings.workers else None
    if pool is not None:
        pool.start()
    if not block:
        _start_in_thread(http)
        console.say(ready)
        return
    console.say(ready)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to whatever
    # handler was there before it. Ours does nothing, so that the pool is stopped below and the
    # process exits 0, as after any orderly shutdown.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda number, frame: None)
    try:
        http.run()
    finally:
        if pool is not None:
            pool.stop()


def _serve_embedded(
    http: uvicorn.Server,
    server: WebhooksServer,
    app_name: str,
    connection: Any,
    settings: Settings,
    block: bool,
    ready: list[str],
) -> None:
    from workers.job import install_app
    from workers.worker import build_worker

    install_app(app_name, server.handlers)
    thread = _start_in_thread(http)
    console.say(ready)
    # The only worker there is: it works every queue of the app, or a queue="gpu" event would wait forever.
    queues = app_queues(server.handlers.values(), settings.queue)
    worker = build_worker(connection, queues, in_thread=not block)
    if not block:
        threading.Thread(target=worker.work, name="hubhooks-worker", daemon=True).start()
        return
    try:
        worker.work()
    finally:
        http.should_exit = True
        thread.join(timeout=35)


def _start_in_thread(http: uvicorn.Server) -> threading.Thread:
    thread = threading.Thread(target=http.run, name="hubhooks-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not http.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not http.started:
        raise RuntimeError("The HTTP server did not start; see the log above.")
    return thread
