"""Writing one accepted event to Redis as an RQ job.

The job names a fixed, importable function (:func:`workers.job.run_event`) and carries the app's
name, the route, the raw body and the event's metadata, all as JSON: Redis may be shared, so
nothing that unpickles on a worker is ever written (pickle runs code on load).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from anyio import to_thread
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.serializers import JSONSerializer

from service.errors import QueueUnavailableError
from service.event import EventMeta

logger = logging.getLogger(__name__)

JOB_FUNCTION = "workers.job.run_event"


class EventQueue:
    """Enqueues events of one app on one RQ queue."""

    def __init__(self, connection: Redis, queue_name: str, app_name: str, job_timeout: int) -> None:
        self.app_name = app_name
        self.job_timeout = job_timeout
        self.queue = Queue(queue_name, connection=connection, serializer=JSONSerializer)

    def __repr__(self) -> str:
        return f"EventQueue(queue={self.queue.name!r}, app={self.app_name!r})"

    def enqueue(self, route: str, body: str) -> EventMeta:
        """Write the event and return its metadata once Redis has confirmed the write."""
        meta = EventMeta(
            event_id=uuid.uuid4().hex,
            job_id=uuid.uuid4().hex,
            route=route,
            received_at=datetime.now(timezone.utc),
        )
        try:
            self.queue.enqueue_call(
                JOB_FUNCTION,
                args=(self.app_name, route, body, meta.model_dump(mode="json")),
                job_id=meta.job_id,
                timeout=self.job_timeout,
                description=f"{route} event {meta.event_id}",
                meta={"event_id": meta.event_id, "route": route},
            )
        except RedisError as error:
            logger.warning("Enqueue: %s event refused by Redis: %s", route, error)
            raise QueueUnavailableError(f"Redis did not accept the event: {error}") from error
        logger.info("Enqueue: %s event %s as job %s", route, meta.event_id, meta.job_id)
        return meta

    async def enqueue_async(self, route: str, body: str) -> EventMeta:
        """:meth:`enqueue` from a worker thread, so the event loop keeps serving meanwhile."""
        return await to_thread.run_sync(self.enqueue, route, body)
