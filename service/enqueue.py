"""Writing one accepted event to Redis as an RQ job, deduplicated, in one transaction.

The job names a fixed, importable function (:func:`workers.job.run_event`) and carries the app's
name, the route, the raw body and the event's metadata, all as JSON: Redis may be shared, so
nothing that unpickles on a worker is ever written (pickle runs code on load).

Deduplication: the Hub sends no delivery id, and its retries and replays resend the same body.
A mark keyed by the route and a hash of the body names the first job for ``dedup_window``
seconds. The mark and the job are written in one MULTI/EXEC transaction (WATCHing the mark), so
a failed write leaves no mark behind to swallow the Hub's retry, and two identical deliveries
racing each other enqueue once.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from anyio import to_thread
from redis import Redis
from redis.client import Pipeline
from redis.exceptions import RedisError, WatchError
from rq import Queue, Retry
from rq.serializers import JSONSerializer

from service.errors import QueueUnavailableError
from service.event import EventMeta
from service.handler import Handler

logger = logging.getLogger(__name__)

JOB_FUNCTION = "workers.job.run_event"
DEDUP_KEY_PREFIX = "hubhooks:dedup:"
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


class EventQueue:
    """Enqueues events of one app on one RQ queue."""

    def __init__(self, connection: Redis, queue_name: str, app_name: str, job_timeout: int) -> None:
        self.app_name = app_name
        self.job_timeout = job_timeout
        self.queue = Queue(queue_name, connection=connection, serializer=JSONSerializer)

    def __repr__(self) -> str:
        return f"EventQueue(queue={self.queue.name!r}, app={self.app_name!r})"

    def dedup_key(self, route: str, body: str) -> str:
        """The Redis key marking that this body was accepted on this route."""
        digest = hashlib.sha256(body.encode()).hexdigest()
        return f"{DEDUP_KEY_PREFIX}{self.queue.name}:{route}:{digest}"

    def enqueue(self, handler: Handler, body: str) -> Enqueued:
        """Write the event (or find its duplicate) and return once Redis has confirmed it."""
        meta = EventMeta(
            event_id=uuid.uuid4().hex,
            job_id=uuid.uuid4().hex,
            route=handler.route,
            received_at=datetime.now(timezone.utc),
        )
        window = handler.policy.dedup_window
        try:
            with self.queue.connection.pipeline() as pipe:
                if not window:
                    pipe.multi()
                    self._write_job(pipe, handler, body, meta)
                    pipe.execute()
                    outcome = Enqueued(meta)
                else:
                    outcome = self._write_once(pipe, handler, body, meta, window)
        except RedisError as error:
            logger.warning("Enqueue: %s event refused by Redis: %s", handler.route, error)
            raise QueueUnavailableError(f"Redis did not accept the event: {error}") from error
        if outcome.duplicate_of:
            logger.info("Enqueue: %s duplicate of job %s", handler.route, outcome.duplicate_of)
        else:
            logger.info("Enqueue: %s event %s as job %s", handler.route, meta.event_id, meta.job_id)
        return outcome

    def _write_once(
        self, pipe: Pipeline, handler: Handler, body: str, meta: EventMeta, window: int
    ) -> Enqueued:
        key = self.dedup_key(handler.route, body)
        while True:
            try:
                pipe.watch(key)
                first = pipe.get(key)
                if first is not None:
                    pipe.unwatch()
                    return Enqueued(meta, duplicate_of=first.decode())
                pipe.multi()
                pipe.set(key, meta.job_id, ex=window)
                self._write_job(pipe, handler, body, meta)
                pipe.execute()
                return Enqueued(meta)
            except WatchError:  # an identical delivery won the race: read its mark
                continue

    def _write_job(self, pipe: Pipeline, handler: Handler, body: str, meta: EventMeta) -> None:
        policy = handler.policy
        delays = policy.retry_delays()
        received = meta.received_at.timestamp()
        index = events_key(self.queue.name)
        pipe.zadd(index, {meta.job_id: received})
        pipe.zremrangebyscore(index, "-inf", received - max(policy.keep_results, policy.keep_failed))
        self.queue.enqueue_call(
            JOB_FUNCTION,
            args=(self.app_name, handler.route, body, meta.model_dump(mode="json")),
            job_id=meta.job_id,
            timeout=policy.timeout or self.job_timeout,
            result_ttl=policy.keep_results,
            failure_ttl=policy.keep_failed,
            retry=Retry(max=policy.retries, interval=delays) if policy.retries else None,
            description=f"{handler.route} event {meta.event_id}",
            meta={"event_id": meta.event_id, "route": handler.route},
            pipeline=pipe,
        )

    async def enqueue_async(self, handler: Handler, body: str) -> Enqueued:
        """:meth:`enqueue` from a worker thread, so the event loop keeps serving meanwhile."""
        return await to_thread.run_sync(self.enqueue, handler, body)
