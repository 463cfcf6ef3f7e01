"""The fault suite's app: numbered events, each run recorded; some fail once, time out once, or always fail.

The event's number travels in the payload (an extra key the model keeps). Records go to the same
Redis as the queue, which runs with AOF, so they survive its restart.
"""

import json
import os
import time

from redis import Redis

from service import EventMeta, WebhookPayload, WebhooksServer

app = WebhooksServer()
_redis: Redis | None = None


def _client() -> Redis:
    global _redis
    if _redis is None:
        _redis = Redis.from_url(os.environ["REDIS_URL"])
    return _redis


def kind(number: int) -> str:
    """What the handler does with this event (the test uses the same rule)."""
    if number % 25 == 24:
        return "always-fails"
    if number % 10 == 3:
        return "fails-once"
    if number % 10 == 7:
        return "times-out-once"
    return "plain"


@app.add_webhook("numbered", retries=2, backoff=1.0, backoff_cap=1.0, timeout=2)
def numbered(payload: WebhookPayload, meta: EventMeta) -> int:
    number = int((payload.model_extra or {})["number"])
    behaviour = kind(number)
    _client().rpush(
        "fault:starts", json.dumps({"number": number, "attempt": meta.attempt, "pid": os.getpid()})
    )
    if behaviour == "always-fails":
        raise RuntimeError(f"event {number} always fails")
    if behaviour == "fails-once" and meta.attempt == 1:
        raise RuntimeError(f"event {number} fails on its first run")
    time.sleep(3 if behaviour == "times-out-once" and meta.attempt == 1 else 0.15)
    _client().rpush("fault:completions", json.dumps({"number": number, "job_id": meta.job_id}))
    return number
