"""Writing one accepted event to Redis as an RQ job: deduplicated, indexed, in one round trip.

The job names a fixed, importable function (:func:`workers.job.run_event`) and carries the app's
name, the route, the raw body and the event's metadata, all as JSON: Redis may be shared, so
nothing that unpickles on a worker is ever written (pickle runs code on load).

How the write stays RQ-compatible yet takes one round trip from the event loop: the job's
commands come from a :class:`~service.job_template.JobTemplate` that RQ itself recorded, and are
sent with the dedup check and the events index as the arguments of one Lua script, pipelined with
the other events of the same loop turn (:mod:`service.batching`). RQ's synchronous ``enqueue``
from the loop would block it (0.18x of a bare route); from a thread pool it costs three round
trips and a thread hop per event.

Queues: each endpoint's jobs go to the RQ queue its policy names (``queue="gpu"``), else to the
app's default queue (``HUBHOOKS_QUEUE``); each queue has its own events index. Workers choose
what they run by queue (``hubhooks worker APP --queue gpu``).

Deduplication: the Hub sends no delivery id, and its retries and replays resend the same body.
A mark keyed by the route and a hash of the body names the first job for ``dedup_window``
seconds. The script checks the mark, then sets it first among its writes: a script refused by
Redis (out of memory, say) writes nothing, so no mark is left to swallow the Hub's retry.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError, ResponseError
from rq import Queue
from rq.serializers import JSONSerializer

from service.batching import ScriptBatcher
from service.errors import QueueUnavailableError
from service.event import EventMeta
from service.handler import Handler
from service.job_template import JOB_FUNCTION, JobTemplate

logger = logging.getLogger(__name__)

__all__ = ["JOB_FUNCTION", "Enqueued", "EventQueue", "app_queues", "events_key"]

DEDUP_KEY_PREFIX = "hubhooks:dedup:"
EVENTS_KEY_PREFIX = "hubhooks:events:"

# KEYS: dedup mark ("" when off), events index. ARGV: window, job id, score, trim-before, then
# the job's commands, each as its argument count followed by the command and its arguments.
WRITE_EVENT_SCRIPT = """
local window = tonumber(ARGV[1])
if window > 0 then
  local first = redis.call('GET', KEYS[1])
  if first then return first end
  redis.call('SET', KEYS[1], ARGV[2], 'EX', window)
end
local i = 5
while i <= #ARGV do
  local count = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + count))
  i = i + count + 1
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
return false
"""


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
        self._script = connection.register_script(WRITE_EVENT_SCRIPT)
        self._batcher = ScriptBatcher(async_connection, WRITE_EVENT_SCRIPT) if async_connection else None
        self._templates: dict[str, JobTemplate] = {}
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
        digest = hashlib.sha256(body.encode()).hexdigest()
        return f"{DEDUP_KEY_PREFIX}{self.queue.name}:{route}:{digest}"

    def enqueue(self, handler: Handler, body: str) -> Enqueued:
        """Write the event (or find its duplicate), blocking until Redis has confirmed it."""
        try:
            if not self.queue.redis_server_version:
                self._remember_version(self.queue.get_redis_server_version())
            meta, keys, args = self._prepare(handler, body)
            first = self._script(keys=keys, args=args)
        except RedisError as error:
            raise self._unavailable(handler, error) from error
        return self._outcome(handler, meta, first)

    async def enqueue_async(self, handler: Handler, body: str) -> Enqueued:
        """:meth:`enqueue` in one round trip on the async client, without leaving the event loop."""
        if self._batcher is None or self.async_connection is None:
            raise RuntimeError("EventQueue.enqueue_async needs an async_connection.")
        try:
            if not self.queue.redis_server_version:
                self._remember_version(await self._server_version())
            meta, keys, args = self._prepare(handler, body)
            first = await self._batcher.call(keys, args)
        except RedisError as error:
            raise self._unavailable(handler, error) from error
        return self._outcome(handler, meta, first)

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

    def _prepare(self, handler: Handler, body: str) -> tuple[EventMeta, list[str], list[Any]]:
        meta = EventMeta(
            event_id=uuid.uuid4().hex,
            job_id=uuid.uuid4().hex,
            route=handler.route,
            received_at=datetime.now(timezone.utc),
        )
        policy = handler.policy
        received = meta.received_at.timestamp()
        window = policy.dedup_window
        queue = self.queue_for(handler)
        keys = [self.dedup_key(handler.route, body) if window else "", events_key(queue.name)]
        trim_before = received - max(policy.keep_results, policy.keep_failed)
        args: list[Any] = [window, meta.job_id, received, trim_before]
        for command in self._job_commands(handler, queue, body, meta):
            args.append(len(command))
            args.extend(command)
        return meta, keys, args

    def _job_commands(self, handler: Handler, queue: Queue, body: str, meta: EventMeta) -> list[list[bytes]]:
        """The commands RQ would send to enqueue this job on ``queue`` (from a template RQ
        recorded once on that queue, so the job's ``origin`` and the queue's key are right)."""
        template = self._templates.get(handler.route)
        if template is None or template.handler is not handler:
            template = JobTemplate(queue, self.app_name, handler, self.job_timeout)
            self._templates[handler.route] = template
        return template.commands(body, meta)

    def _outcome(self, handler: Handler, meta: EventMeta, first: bytes | str | None) -> Enqueued:
        if first:
            duplicate_of = first.decode() if isinstance(first, bytes) else first
            logger.info("Enqueue: %s duplicate of job %s", handler.route, duplicate_of)
            return Enqueued(meta, duplicate_of=duplicate_of)
        logger.info("Enqueue: %s event %s as job %s", handler.route, meta.event_id, meta.job_id)
        return Enqueued(meta)

    def _unavailable(self, handler: Handler, error: RedisError) -> QueueUnavailableError:
        logger.warning("Enqueue: %s event refused by Redis: %s", handler.route, error)
        return QueueUnavailableError(f"Redis did not accept the event: {error}")
