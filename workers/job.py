"""The job function every hubhooks job names: find the handler, validate the body, call it.

RQ refuses functions defined in ``__main__``, and a user's ``app.py`` is often run as
``__main__``. So jobs name this fixed function, with the app and the route as arguments, and the
handler is looked up in the apps this worker has loaded (or imports the app by name on first use,
which lets a plain ``rq worker`` run hubhooks jobs too).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from pydantic_core import to_jsonable_python
from rq import get_current_job

from service.event import EventMeta
from service.handler import Handler
from service.job_stats import recorded_run
from service.progress import attach

logger = logging.getLogger(__name__)

_apps: dict[str, dict[str, Handler]] = {}
_loop_per_thread = threading.local()


def install_app(name: str, handlers: dict[str, Handler]) -> None:
    """Make an app's handlers available to jobs that name it (done once at worker start)."""
    _apps[name] = handlers


def handler_for(app: str, route: str) -> Handler:
    """The handler of ``route``; a worker serving one app runs that app's handlers whatever name a
    job uses for it (``app.py`` on one machine, ``/srv/app.py`` on another)."""
    handlers = _apps.get(app)
    if handlers is None and len(_apps) == 1:
        handlers = next(iter(_apps.values()))
    if handlers is None:
        from service.loader import load_app

        handlers = load_app(app).server.handlers
        install_app(app, handlers)
    try:
        return handlers[route]
    except KeyError:
        raise LookupError(f"App {app!r} has no handler for {route!r}.") from None


def run_event(app: str, route: str, body: str, meta: dict[str, Any]) -> Any:
    """Run one event's handler and return its result, made JSON-safe for the job result."""
    replaced_by = getattr(get_current_job(), "superseded_by", None)
    if replaced_by:  # a coalesced event replaced just as RQ's scheduler enqueued it
        logger.info("Job: %s event %s superseded by %s; not run", route, meta.get("event_id"), replaced_by)
        return {"superseded_by": replaced_by}
    handler = handler_for(app, route)
    event = attach(EventMeta.model_validate({**meta, "attempt": _attempt()}), get_current_job())
    payload = None
    if handler.payload_model is not None:
        payload = handler.payload_model.model_validate_json(body)
    logger.info("Job: %s event %s attempt %d", route, event.event_id, event.attempt)
    with recorded_run(route):  # counts and times the run for /metrics
        result = handler.function(*handler.arguments(payload, event))
        if handler.is_async:
            result = _event_loop().run_until_complete(result)
    return to_jsonable_python(result, fallback=repr)


def _attempt() -> int:
    """This run's number: counted by :class:`~workers.event_job.EventJob` as the run started
    (1 when the job runs outside a hubhooks worker, as in a plain ``rq worker``)."""
    job = get_current_job()
    return max(1, int(job.meta.get("attempt", 0))) if job is not None else 1


def _event_loop() -> asyncio.AbstractEventLoop:
    """One event loop per worker thread, kept across jobs (async clients stay usable)."""
    loop = getattr(_loop_per_thread, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _loop_per_thread.loop = loop
    return loop
