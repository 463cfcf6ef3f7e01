"""Health endpoints for orchestrators: liveness of the process, readiness of the queue.

- ``GET /health/live``: the process serves HTTP (200 always).
- ``GET /health/ready``: Redis answers (200) or not (503), with the number of live workers on the
  app's queue, so a compose health check or a dashboard can tell "up but nobody works".
"""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from rq import Worker

from service.enqueue import EventQueue


def health_router(event_queue: EventQueue) -> APIRouter:
    """The two health routes for the queue ``event_queue`` writes to."""
    router = APIRouter(prefix="/health", tags=["health"])
    queue = event_queue.queue

    @router.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        def probe() -> dict[str, object]:
            queue.connection.ping()
            return {
                "status": "ready",
                "redis": True,
                "queue": queue.name,
                "workers": Worker.count(queue=queue),
            }

        try:
            body = await to_thread.run_sync(probe)
        except RedisError as error:
            body = {"status": "unavailable", "redis": False, "queue": queue.name, "error": str(error)}
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    return router
