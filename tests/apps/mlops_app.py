"""A test app for filters, metrics and the simulator: each handler records its run in Redis."""

import json
import os

from redis import Redis

from service import EventMeta, WebhookPayload, WebhooksServer

app = WebhooksServer()


def record(handler: str, payload: WebhookPayload, meta: EventMeta) -> None:
    entry = {
        "handler": handler,
        "scope": payload.event.scope,
        "action": payload.event.action,
        "repo": payload.repo.name,
        "type": payload.repo.type,
        "head_sha": payload.repo.headSha,
        "event_id": meta.event_id,
    }
    Redis.from_url(os.environ["REDIS_URL"]).rpush("test:ran", json.dumps(entry))


@app.add_webhook("datasets", scope="repo.content", repo_type="dataset", repo=["acme/*", "org/exact"])
def datasets(payload: WebhookPayload, meta: EventMeta) -> str:
    record("datasets", payload, meta)
    return "trained"


@app.add_webhook("everything", dedup_window=0)
def everything(payload: WebhookPayload, meta: EventMeta) -> str:
    record("everything", payload, meta)
    return "ok"


@app.add_webhook("fails", retries=0, dedup_window=0)
def fails(payload: WebhookPayload, meta: EventMeta) -> None:
    record("fails", payload, meta)
    raise RuntimeError("fails on purpose")
