"""A test app with lanes: a coalesced training trigger and a serial evaluation per repo.

Each run records the event's number (an undeclared payload field), its repo and its start and
end times in Redis under ``test:lanes``.
"""

import json
import os
import time

from redis import Redis

from service import WebhookPayload, WebhooksServer

app = WebhooksServer()


def record(kind: str, payload: WebhookPayload, **extra: object) -> None:
    entry = {"kind": kind, "repo": payload.repo.name, "number": (payload.model_extra or {}).get("number")}
    Redis.from_url(os.environ["REDIS_URL"]).rpush("test:lanes", json.dumps({**entry, **extra}))


@app.add_webhook(coalesce=True, quiet_period=float(os.environ.get("QUIET_SECONDS", "2")), dedup_window=0)
def train(payload: WebhookPayload) -> int:
    record("train", payload, at=time.time())
    return (payload.model_extra or {}).get("number", -1)


@app.add_webhook(serial=True, dedup_window=0)
def evaluate(payload: WebhookPayload) -> None:
    started = time.time()
    time.sleep(float(os.environ.get("EVALUATE_SECONDS", "0.4")))
    record("evaluate", payload, start=started, end=time.time())


@app.add_webhook(serial=True, dedup_window=0, retries=0)
def flaky(payload: WebhookPayload) -> None:
    record("flaky", payload, at=time.time())
    if (payload.model_extra or {}).get("number") == 0:
        raise RuntimeError("the first event of each repo fails")
