"""A test app for delivery guarantees: handlers that fail, time out, or run long; each run recorded."""

import json
import os
import time

from redis import Redis

from service import EventMeta, WebhookPayload, WebhooksServer

app = WebhooksServer()
QUICK_RETRY = {"backoff": 1.0, "backoff_cap": 1.0}


def record(handler: str, meta: EventMeta, **extra: object) -> None:
    entry = {
        "handler": handler,
        "attempt": meta.attempt,
        "event_id": meta.event_id,
        "pid": os.getpid(),
        **extra,
    }
    Redis.from_url(os.environ["REDIS_URL"]).rpush("test:ran", json.dumps(entry))


@app.add_webhook("flaky", retries=2, **QUICK_RETRY)
def flaky(payload: WebhookPayload, meta: EventMeta) -> str:
    record("flaky", meta)
    if meta.attempt == 1:
        raise RuntimeError("the first run of flaky fails")
    return "ok on retry"


@app.add_webhook("too_slow", retries=0, timeout=1)
def too_slow(payload: WebhookPayload, meta: EventMeta) -> None:
    record("too_slow", meta)
    time.sleep(5)


@app.add_webhook("always_fails", retries=1, **QUICK_RETRY)
def always_fails(payload: WebhookPayload, meta: EventMeta) -> None:
    record("always_fails", meta)
    raise RuntimeError(f"always_fails failed on attempt {meta.attempt}")


@app.add_webhook("long", retries=2, **QUICK_RETRY)
def long(payload: WebhookPayload, meta: EventMeta) -> str:
    record("long-start", meta)
    time.sleep(float(os.environ.get("LONG_SECONDS", "4")))
    record("long-end", meta)
    return "done"


@app.add_webhook("deduplicated", dedup_window=60)
def deduplicated(payload: WebhookPayload, meta: EventMeta) -> None:
    record("deduplicated", meta)


@app.add_webhook("every_delivery", dedup_window=0)
def every_delivery(payload: WebhookPayload, meta: EventMeta) -> None:
    record("every_delivery", meta)
