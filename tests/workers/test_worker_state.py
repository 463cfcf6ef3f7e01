"""What RQ's own readers see of a hubhooks worker: state, current job, heartbeat, attempts.

The worker trims RQ's bookkeeping round trips (workers/bookkeeping.py, workers/event_job.py);
these tests hold that RQ's view stays right, through real ``hubhooks worker`` processes.
"""

from __future__ import annotations

import json

import pytest
from redis import Redis
from rq import Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from service.enqueue import EventQueue
from service.loader import load_app
from tests.conftest import load_payload, wait_until

APP = "tests/apps/recording_app.py"
BODY = json.dumps(load_payload("repo-content-updated-refs.json"))


def enqueue(redis_url: str, route: str) -> str:
    queue = EventQueue(Redis.from_url(redis_url), "hubhooks", APP, job_timeout=60)
    return queue.enqueue(load_app(APP).server.handlers[route], BODY).meta.job_id


def only_worker(connection: Redis) -> Worker:
    workers = Worker.all(connection=connection)
    assert len(workers) == 1
    return workers[0]


@pytest.mark.parametrize("mode", [[], ["--fork"]], ids=["simple", "fork"])
def test_rq_sees_busy_with_the_job_then_idle_and_the_job_finished_once(redis_url, worker, mode):
    connection = Redis.from_url(redis_url)
    worker(redis_url, APP, *mode, env={"SLOW_SECONDS": "3"})
    wait_until(lambda: Worker.count(connection=connection) == 1, timeout=30)
    job_id = enqueue(redis_url, "/webhooks/slow")
    wait_until(lambda: only_worker(connection).get_current_job_id() == job_id, timeout=30)
    busy = only_worker(connection)
    assert busy.get_state() == "busy"
    job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    assert job.get_status() == "started" and job.meta["attempt"] == 1
    assert connection.ttl(job.key) == -1  # persisted while it runs
    wait_until(lambda: job.get_status(refresh=True) == "finished", timeout=30)
    wait_until(lambda: only_worker(connection).get_state() == "idle", timeout=10)
    idle = only_worker(connection)
    assert idle.get_current_job_id() is None
    assert idle.successful_job_count == 1
    assert connection.ttl(job.key) > 0  # kept for the result TTL, then gone
    assert job.meta["attempt"] == 1


def test_a_job_longer_than_the_heartbeat_ttl_is_not_taken_for_abandoned(redis_url, worker):
    from workers.worker import ABANDONED_JOB_DETECTION_SECONDS, JOB_HEARTBEAT_TTL

    connection = Redis.from_url(redis_url)
    seconds = JOB_HEARTBEAT_TTL + 6
    worker(redis_url, APP, env={"SLOW_SECONDS": str(seconds)})
    worker(redis_url, APP, env={"SLOW_SECONDS": str(seconds)})  # a second one would run a retry
    job_id = enqueue(redis_url, "/webhooks/slow")
    job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    wait_until(
        lambda: job.get_status(refresh=True) == "finished", timeout=seconds + ABANDONED_JOB_DETECTION_SECONDS
    )
    starts = [json.loads(entry) for entry in connection.lrange("test:ran", 0, -1)]
    assert [entry["handler"] for entry in starts] == ["slow-start", "slow-end"]
    job.refresh()
    assert job.meta["attempt"] == 1
