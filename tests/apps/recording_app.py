"""A test app in upstream style: handlers record each run in Redis; `launch()` at module level.

Under `hubhooks serve` or `hubhooks worker` the module-level `launch()` must do nothing.
"""

import asyncio
import json
import os
import sys
import time

from redis import Redis

from service import EventMeta, WebhookPayload, WebhooksServer

app = WebhooksServer()


def record(handler: str, payload: WebhookPayload, meta: EventMeta | None = None) -> None:
    entry = {
        "handler": handler,
        "repo": payload.repo.name,
        "head_sha": payload.repo.headSha,
        "extra": sorted(payload.model_extra or {}),
        "event_id": meta.event_id if meta else None,
        "attempt": meta.attempt if meta else None,
        "route": meta.route if meta else None,
        "at": time.time(),
    }
    Redis.from_url(os.environ["REDIS_URL"]).rpush("test:ran", json.dumps(entry))


@app.add_webhook
def sync_handler(payload: WebhookPayload, meta: EventMeta) -> dict:
    record("sync", payload, meta)
    return {"head_sha": payload.repo.headSha, "gradio_imported": "gradio" in sys.modules}


@app.add_webhook("/nested/async/")
async def async_handler(payload: WebhookPayload) -> dict:
    await asyncio.sleep(0.01)
    record("async", payload)
    return {"repo": payload.repo.name}


@app.add_webhook
def slow(payload: WebhookPayload) -> str:
    record("slow-start", payload)
    time.sleep(float(os.environ.get("SLOW_SECONDS", "10")))
    record("slow-end", payload)
    return "done"


app.launch()
