"""The job function, run deterministically in-process by RQ's SimpleWorker on the test Redis."""

from __future__ import annotations

import json

from redis import Redis
from rq import SimpleWorker
from rq.job import Job
from rq.registry import FailedJobRegistry

from service.enqueue import EventQueue
from tests.conftest import load_payload
from workers.job import handler_for
from workers.worker import build_worker

BODY = json.dumps(load_payload("repo-content-updated-refs.json"))
APP = "tests/apps/failing_app.py"


def _enqueue(redis_url: str, route: str, app: str = APP) -> tuple[Redis, Job]:
    connection = Redis.from_url(redis_url)
    queue = EventQueue(connection, "hubhooks", app, job_timeout=30)
    outcome = queue.enqueue(handler_for(app, route), BODY)
    assert outcome.duplicate_of is None
    return connection, queue.queue.fetch_job(outcome.meta.job_id)


def _work(connection: Redis) -> None:
    worker = build_worker(connection, ["hubhooks"])
    assert isinstance(worker, SimpleWorker)
    worker.work(burst=True)


def test_a_failing_handler_leaves_its_traceback_in_the_failed_registry(redis_url):
    connection, job = _enqueue(redis_url, "/webhooks/explode")
    _work(connection)
    assert job.get_status(refresh=True) == "failed"
    assert job.id in FailedJobRegistry("hubhooks", connection=connection, serializer=job.serializer)
    assert "cannot train on Wauplin/gradio-user-history (attempt 1)" in job.latest_result().exc_string


def test_an_app_not_loaded_yet_is_imported_by_the_name_the_job_carries(redis_url):
    handler = handler_for(APP, "/webhooks/explode")
    assert handler.name == "explode"


def test_async_handlers_share_one_event_loop_per_worker(redis_url):
    connection, first = _enqueue(redis_url, "/webhooks/loop_identity")
    _, second = _enqueue(redis_url, "/webhooks/loop_identity")
    _work(connection)
    assert first.return_value(refresh=True) == second.return_value(refresh=True)


def test_requeued_job_counts_its_attempts(redis_url):
    connection, job = _enqueue(redis_url, "/webhooks/explode")
    _work(connection)
    Job.fetch(job.id, connection=connection, serializer=job.serializer).requeue()
    _work(connection)
    assert "(attempt 2)" in job.latest_result().exc_string


def test_jobs_are_stored_as_json_not_pickle(redis_url):
    connection, job = _enqueue(redis_url, "/webhooks/explode")
    stored = connection.hget(f"rq:job:{job.id}", "data")
    decoded = json.loads(stored if stored[:1] == b"[" else __import__("zlib").decompress(stored))
    assert decoded[0] == "workers.job.run_event"
    assert decoded[2][:2] == [APP, "/webhooks/explode"]
