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
    handler = handler_for(app, route)
    event = attach(EventMeta.model_validate({**meta, "attempt": _count_attempt()}), get_current_job())
    payload = None
    if handler.payload_model is not None:
        payload = handler.payload_model.model_validate_json(body)
    logger.info("Job: %s event %s attempt %d", route, event.event_id, event.attempt)
    result = handler.function(*handler.arguments(payload, event))
    if handler.is_async:
        result = _event_loop().run_until_complete(result)
    return to_jsonable_python(result, fallback=repr)


def _count_attempt() -> int:
    job = get_current_job()
    if job is None:
        return 1
    attempt = int(job.meta.get("attempt", 0)) + 1
    job.meta["attempt"] = attempt
    job.save_meta()
    return attempt


def _event_loop() -> asyncio.AbstractEventLoop:
    """One event loop per worker thread, kept across jobs (async clients stay usable)."""
    loop = getattr(_loop_per_thread, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _loop_per_thread.loop = loop
    return loop
