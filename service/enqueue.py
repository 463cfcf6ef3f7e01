"""Writing one accepted event to Redis as an RQ job: deduplicated, indexed, in one round trip.

The job names a fixed, importable function (:func:`workers.job.run_event`) and carries the app's
name, the route, the raw body and the event's metadata, all as JSON: Redis may be shared, so
nothing that unpickles on a worker is ever written (pickle runs code on load).

How the write stays RQ-compatible yet takes one round trip from the event loop: the job's
commands come from a :class:`~service.job_template.JobTemplate` that RQ itself recorded, compiled
into the Lua accept script (:mod:`service.accept_script`) with the dedup check and the events
index; per event only a few values are sent, batched with the other events of the same loop turn
(:mod:`service.batching`). RQ's synchronous ``enqueue`` from the loop would block it (0.18x of a
bare route); from a thread pool it costs three round trips and a thread hop per event.

Queues: each endpoint's jobs go to the RQ queue its policy names (``queue="gpu"``), else to the
app's default queue (``HUBHOOKS_QUEUE``); each queue has its own events index. Workers choose
what they run by queue (``hubhooks worker APP --queue gpu``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

from pydantic import BaseModel
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import NoScriptError, RedisError, ResponseError
from rq import Queue
from rq.serializers import JSONSerializer

from service.accept_script import AcceptScript, read_answer
from service.batching import ScriptBatcher
from service.errors import QueueUnavailableError
from service.event import EventMeta
from service.handler import Handler
from service.job_template import JOB_FUNCTION, JobTemplate
from service.payload import WebhookPayload
from service.policy import DeliveryPolicy

logger = logging.getLogger(__name__)

__all__ = ["JOB_FUNCTION", "Enqueued", "EventQueue", "app_queues", "events_key"]

DEDUP_KEY_PREFIX = "hubhooks:dedup:"
LANE_KEY_PREFIX = "hubhooks:lane:"
EVENTS_KEY_PREFIX = "hubhooks:events:"


def events_key(queue_name: str) -> str:
    """The sorted set indexing a queue's accepted events: job id scored by receive time.

    RQ's registries only hold jobs by state; this index lists every event newest first, in any
    state, for the dashboard and replays. It is trimmed to the longest retention on each write.
    """
    return f"{EVENTS_KEY_PREFIX}{queue_name}"


@dataclass(frozen=True)
class Enqueued:
    """The outcome of one delivery: a new job, or the job an identical delivery already made."""

    meta: EventMeta
    duplicate_of: str | None = None


def app_queues(handlers: Iterable[Handler], default: str) -> list[str]:
    """The queues an app's handlers write to: ``default`` first, then the others in order of
    registration. What a worker started without ``--queue`` works."""
    names = [default]
    for handler in handlers:
        name = handler.policy.queue_name(default)
        if name not in names:
            names.append(name)
    return names


class EventQueue:
    """Enqueues the events of one app, each on its handler's RQ queue.

    ``queue_name`` is the app's default queue (``HUBHOOKS_QUEUE``), :attr:`queue`: endpoints
    whose policy names no ``queue`` write there. The RQ queue of every other name is made on
    first use, or at once for ``handlers`` (so that :attr:`queues` lists them all before any
    event). ``connection`` (synchronous) is where RQ's objects live and what tests and the CLI
    use; ``async_connection`` carries the front end's writes without blocking its event loop.
    """

    def __init__(
        self,
        connection: Redis,
        queue_name: str,
        app_name: str,
        job_timeout: int,
        async_connection: AsyncRedis | None = None,
        handlers: Iterable[Handler] = (),
    ) -> None:
        self.app_name = app_name
        self.job_timeout = job_timeout
        self.queue = Queue(queue_name, connection=connection, serializer=JSONSerializer)
        self.queues: dict[str, Queue] = {queue_name: self.queue}
        self.async_connection = async_connection
        self._batcher = ScriptBatcher(async_connection, self._script) if async_connection else None
        self._templates: dict[tuple[str, DeliveryPolicy], tuple[int, JobTemplate]] = {}
        self._accept_script: AcceptScript | None = None
        for handler in handlers:
            self.queue_for(handler)

    def __repr__(self) -> str:
        return f"EventQueue(queues={list(self.queues)!r}, app={self.app_name!r})"

    def queue_for(self, handler: Handler) -> Queue:
        """The RQ queue ``handler``'s jobs go to (its policy's ``queue``, else the default)."""
        name = handler.policy.queue_name(self.queue.name)
        queue = self.queues.get(name)
        if queue is None:
            queue = Queue(name, connection=self.queue.connection, serializer=JSONSerializer)
            queue.redis_server_version = self.queue.redis_server_version
            self.queues[name] = queue
        return queue

    def dedup_key(self, route: str, body: str) -> str:
        """The Redis key marking that this body was accepted on this route.

        Namespaced by the default queue, which stands for the app: a route names one handler.
        """
        return self._dedup_prefix(route) + hashlib.sha256(body.encode()).hexdigest()

    def _dedup_prefix(self, route: str) -> str:
        return f"{DEDUP_KEY_PREFIX}{self.queue.name}:{route}:"

    def enqueue(self, handler: Handler, body: str, payload: BaseModel | None = None) -> Enqueued:
        """Write the event (or find its duplicate), blocking until Redis has confirmed it.

        ``payload`` is the body already validated into the handler's model, if the caller has
        it; it is needed (and else parsed here) only for an endpoint with a lane.
        """
        try:
            if not self.queue.redis_server_version:
                self._remember_version(self.queue.get_redis_server_version())
            meta, values = self._prepare(handler, body, payload)
            script = self._script()
            try:
                answers = cast("list[bytes]", self.queue.connection.evalsha(script.sha, 0, *values))
            except NoScriptError:
                self.queue.connection.script_load(script.source)
                answers = cast("list[bytes]", self.queue.connection.evalsha(script.sha, 0, *values))
        except RedisError as error:
            raise self._unavailable(handler, error) from error
        (answer,) = answers
        return self._outcome(handler, meta, answer)

    async def enqueue_async(self, handler: Handler, body: str, payload: BaseModel | None = None) -> Enqueued:
        """:meth:`enqueue` in one round trip on the async client, without leaving the event loop."""
        if self._batcher is None or self.async_connection is None:
            raise RuntimeError("EventQueue.enqueue_async needs an async_connection.")
        try:
            if not self.queue.redis_server_version:
                self._remember_version(await self._server_version())
            meta, values = self._prepare(handler, body, payload)
            answer = await self._batcher.call(values)
        except RedisError as error:
            raise self._unavailable(handler, error) from error
        return self._outcome(handler, meta, answer)

    def _remember_version(self, version: tuple[int, int, int]) -> None:
        """Give every queue the server's version, so RQ never reads it (blocking) when a
        template is recorded."""
        for queue in self.queues.values():
            queue.redis_server_version = version

    async def _server_version(self) -> tuple[int, int, int]:
        """The server's version, which RQ records on jobs; read once, without blocking the loop."""
        assert self.async_connection is not None
        try:
            info = await self.async_connection.info("server")
        except ResponseError:  # the embedded fakeredis has no INFO; RQ assumes 5.0.9 then too
            return (5, 0, 9)
        major, minor, patch = [*(int(part) for part in str(info["redis_version"]).split(".")[:3]), 0, 0][:3]
        return (major, minor, patch)

    def _prepare(self, handler: Handler, body: str, payload: BaseModel | None) -> tuple[EventMeta, list[Any]]:
        """The event's metadata, and its arguments to the accept script."""
        meta = EventMeta.model_construct(
            event_id=os.urandom(16).hex(),
            job_id=os.urandom(16).hex(),
            route=handler.route,
            received_at=datetime.now(timezone.utc),
            attempt=1,
        )
        number, template = self._template(handler)
        window = handler.policy.dedup_window
        digest = hashlib.sha256(body.encode()).hexdigest() if window else ""
        lane = handler.policy.lane
        lane_key = ""
        if lane is not None:
            model = handler.payload_model or WebhookPayload
            lane_key = lane.key_of(payload if payload is not None else model.model_validate_json(body))
        return meta, [number, *template.event_values(body, meta, window, digest, lane_key)]

    def _template(self, handler: Handler) -> tuple[int, JobTemplate]:
        """The numbered template of ``handler``'s jobs, recorded from RQ on first use."""
        key = (handler.route, handler.policy)
        found = self._templates.get(key)
        if found is None:
            queue = self.queue_for(handler)
            template = JobTemplate(
                queue,
                self.app_name,
                handler,
                self.job_timeout,
                dedup_prefix=self._dedup_prefix(handler.route),
                events_key=events_key(queue.name),
                lane_prefix=f"{LANE_KEY_PREFIX}{self.queue.name}:{handler.route}:",
            )
            found = (len(self._templates) + 1, template)
            self._templates[key] = found
            self._accept_script = None
        return found

    def _script(self) -> AcceptScript:
        """The accept script for every template recorded so far."""
        if self._accept_script is None:
            ordered = sorted(self._templates.values(), key=lambda numbered: numbered[0])
            self._accept_script = AcceptScript.for_templates([template for _n, template in ordered])
        return self._accept_script

    def _outcome(self, handler: Handler, meta: EventMeta, answer: bytes | str) -> Enqueued:
        duplicate_of, error = read_answer(answer)
        if error is not None:
            raise self._unavailable(handler, RedisError(error))
        if duplicate_of is not None:
            logger.info("Enqueue: %s duplicate of job %s", handler.route, duplicate_of)
            return Enqueued(meta, duplicate_of=duplicate_of)
        logger.info("Enqueue: %s event %s as job %s", handler.route, meta.event_id, meta.job_id)
        return Enqueued(meta)

    def _unavailable(self, handler: Handler, error: RedisError) -> QueueUnavailableError:
        logger.warning("Enqueue: %s event refused by Redis: %s", handler.route, error)
        return QueueUnavailableError(f"Redis did not accept the event: {error}")
