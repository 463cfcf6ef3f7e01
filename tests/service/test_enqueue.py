"""The one-round-trip enqueue: RQ-compatible jobs, atomic dedup, the events index."""

from __future__ import annotations

import asyncio
import json

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from rq import Queue
from rq.serializers import JSONSerializer

from service.enqueue import JOB_FUNCTION, EventQueue, events_key
from service.errors import QueueUnavailableError
from service.handler import Handler
from service.job_template import NO_DEPENDENTS_FIELD, lua_literal
from service.payload import WebhookPayload
from service.policy import DeliveryPolicy
from tests.conftest import load_payload

BODY = json.dumps(load_payload("repo-content-updated-refs.json"))
VOLATILE = {b"created_at", b"enqueued_at", b"data", b"retry_intervals", b"description", b"meta"}


def _handler(**policy: object) -> Handler:
    def on_event(payload: WebhookPayload) -> None: ...

    return Handler.from_function("/webhooks/on_event", on_event, DeliveryPolicy(**policy))


def _queue(redis_url: str) -> EventQueue:
    return EventQueue(Redis.from_url(redis_url), "hubhooks", "app.py", job_timeout=60)


def test_the_job_written_matches_what_rq_itself_writes(redis_url):
    connection = Redis.from_url(redis_url)
    ours = _queue(redis_url).enqueue(_handler(retries=2), BODY).meta.job_id
    rq_queue = Queue("hubhooks", connection=connection, serializer=JSONSerializer)
    from rq import Retry

    theirs = rq_queue.enqueue_call(
        JOB_FUNCTION,
        args=("x",),
        meta={"k": 1},
        description="rq's own",
        timeout=60,
        result_ttl=7 * 86400,
        failure_ttl=30 * 86400,
        retry=Retry(max=2),
    ).id
    ours_hash, theirs_hash = connection.hgetall(f"rq:job:{ours}"), connection.hgetall(f"rq:job:{theirs}")
    assert ours_hash.pop(NO_DEPENDENTS_FIELD.encode()) == b"none"  # ours alone: no serial lane
    assert set(ours_hash) == set(theirs_hash)
    assert {k: v for k, v in ours_hash.items() if k not in VOLATILE} == {
        k: v for k, v in theirs_hash.items() if k not in VOLATILE
    }
    assert connection.lrange("rq:queue:hubhooks", 0, -1) == [ours.encode(), theirs.encode()]
    assert rq_queue.fetch_job(ours).args[1:3] == ["/webhooks/on_event", BODY]


def test_identical_bodies_within_the_window_name_the_first_job(redis_url):
    queue = _queue(redis_url)
    first = queue.enqueue(_handler(dedup_window=30), BODY)
    second = queue.enqueue(_handler(dedup_window=30), BODY)
    assert first.duplicate_of is None
    assert second.duplicate_of == first.meta.job_id
    assert Redis.from_url(redis_url).llen("rq:queue:hubhooks") == 1
    assert 0 < Redis.from_url(redis_url).ttl(queue.dedup_key("/webhooks/on_event", BODY)) <= 30


def test_async_enqueue_writes_the_same_job_in_one_script_call(redis_url):
    queue = EventQueue(
        Redis.from_url(redis_url),
        "hubhooks",
        "app.py",
        job_timeout=60,
        async_connection=AsyncRedis.from_url(redis_url),
    )

    async def enqueue_twice():
        first = await queue.enqueue_async(_handler(dedup_window=0), BODY)
        second = await queue.enqueue_async(_handler(dedup_window=0), BODY)
        await queue.async_connection.aclose()
        return first, second

    first, second = asyncio.run(enqueue_twice())
    connection = Redis.from_url(redis_url)
    assert connection.lrange("rq:queue:hubhooks", 0, -1) == [
        first.meta.job_id.encode(),
        second.meta.job_id.encode(),
    ]
    index = connection.zrevrange(events_key("hubhooks"), 0, -1)
    assert index == [second.meta.job_id.encode(), first.meta.job_id.encode()]
    assert queue.queue.redis_server_version[0] >= 5


def test_a_write_that_fails_after_the_mark_removes_the_mark_and_spares_the_other_events(redis_url):
    connection = Redis.from_url(redis_url)
    connection.set("rq:queue:broken", "not a list")  # RPUSH onto it fails after the mark is set
    queue = EventQueue(
        connection, "hubhooks", "app.py", job_timeout=60, async_connection=AsyncRedis.from_url(redis_url)
    )
    broken, healthy = _handler(dedup_window=60, queue="broken"), _handler(dedup_window=60)

    async def both_in_one_batch():
        outcomes = await asyncio.gather(
            queue.enqueue_async(broken, BODY), queue.enqueue_async(healthy, BODY), return_exceptions=True
        )
        await queue.async_connection.aclose()
        return outcomes

    refused, accepted = asyncio.run(both_in_one_batch())
    assert isinstance(refused, QueueUnavailableError)
    assert "WRONGTYPE" in refused.message
    assert accepted.duplicate_of is None
    assert connection.lrange("rq:queue:hubhooks", 0, -1) == [accepted.meta.job_id.encode()]
    assert connection.keys("hubhooks:dedup:*") == [queue.dedup_key("/webhooks/on_event", BODY).encode()]
    assert connection.get(queue.dedup_key("/webhooks/on_event", BODY)) == accepted.meta.job_id.encode()


def test_lua_literals_carry_any_byte_unchanged(redis_url):
    every_byte = bytes(range(256)) + "é🔑".encode()
    script = f"return {lua_literal(every_byte)}"
    assert Redis.from_url(redis_url).eval(script, 0) == every_byte
