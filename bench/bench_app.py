"""The app the benchmark serves and works: a no-op handler, a blocking one, a latency probe."""

from __future__ import annotations

import json
import os
import time

from redis import Redis

from service import WebhookPayload, WebhooksServer

app = WebhooksServer()
_probe: Redis | None = None


@app.add_webhook("noop", dedup_window=300)
async def noop(payload: WebhookPayload) -> None:
    return None


@app.add_webhook("block", dedup_window=300)
def block(payload: WebhookPayload) -> None:
    time.sleep(10)


@app.add_webhook("probe", dedup_window=0)
def probe(payload: WebhookPayload) -> None:
    """Record how long after the client sent the event this handler started."""
    global _probe
    started = time.time()
    if _probe is None:
        _probe = Redis.from_url(os.environ["REDIS_URL"])
    sent = (payload.model_extra or {})["sent_at"]
    _probe.rpush("bench:latency", json.dumps(started - sent))
