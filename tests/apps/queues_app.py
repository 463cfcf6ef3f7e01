"""A test app with one endpoint on the default queue and one routed to the "gpu" queue.

Each run is recorded (handler, worker pid) in the Redis of RECORD_URL, else REDIS_URL: an embedded
server has no REDIS_URL, and its in-memory Redis cannot be read from the test.
"""

import json
import os

from redis import Redis

from service import EventMeta, WebhookPayload, WebhooksServer

app = WebhooksServer()


def record(handler: str, meta: EventMeta) -> None:
    url = os.environ.get("RECORD_URL") or os.environ["REDIS_URL"]
    entry = {"handler": handler, "pid": os.getpid(), "event_id": meta.event_id}
    Redis.from_url(url).rpush("test:ran", json.dumps(entry))


@app.add_webhook("cpu")
def cpu(payload: WebhookPayload, meta: EventMeta) -> str:
    record("cpu", meta)
    return "cpu"


@app.add_webhook("gpu", queue="gpu")
def gpu(payload: WebhookPayload, meta: EventMeta) -> str:
    record("gpu", meta)
    return "gpu"
