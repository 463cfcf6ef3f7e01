"""Health endpoints for orchestrators: liveness of the process, readiness of the queue.

- ``GET /health/live``: the process serves HTTP (200 always).
- ``GET /health/ready``: Redis answers (200) or not (503), with the number of live workers on the
  app's default queue (``queue``, ``workers``) and on each of its queues (``queues``), so a
  compose health check or a dashboard can tell "up but nobody works" (or "nobody works gpu").
"""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from rq import Worker

from service.enqueue import EventQueue


def health_router(event_queue: EventQueue) -> APIRouter:
    """The two health routes for the queues ``event_queue`` writes to."""
    router = APIRouter(prefix="/health", tags=["health"])
    default = event_queue.queue

    @router.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        def probe() -> dict[str, object]:
            default.connection.ping()
            # Read now, not when the route was built: a queue first used by an event shows too.
            workers = {name: Worker.count(queue=queue) for name, queue in list(event_queue.queues.items())}
            return {
                "status": "ready",
                "redis": True,
                "queue": default.name,
                "workers": workers[default.name],
                "queues": workers,
            }

        try:
            body = await to_thread.run_sync(probe)
        except RedisError as error:
            body = {"status": "unavailable", "redis": False, "queue": default.name, "error": str(error)}
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    return router
