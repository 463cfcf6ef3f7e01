"""Named queues through real processes: `queue="gpu"` on an endpoint, `hubhooks worker --queue gpu`.

A worker without --queue works the app's default queue only (RQ's and Celery's convention), so a
handler runs only on machines started for its queue; the single-machine modes (the pool of
`hubhooks serve --workers N`, the embedded default's in-process worker) work every queue.
"""

from __future__ import annotations

import json
import logging
import uuid

import httpx
from redis import Redis

from service import jobs
from tests.conftest import SECRET, load_payload, ran_events, wait_until
from workers.worker import log_queue_plan

APP = "tests/apps/queues_app.py"
BODY = load_payload("repo-content-updated-refs.json")


def post(server, route: str) -> str:
    """Send a new event (a new head commit: an identical body would be a duplicate)."""
    body = {**BODY, "repo": {**BODY["repo"], "headSha": uuid.uuid4().hex}}
    answer = httpx.post(
        f"{server.url}/webhooks/{route}",
        content=json.dumps(body),
        headers={"X-Webhook-Secret": SECRET},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    return answer.json()["event_id"]


def run_of(redis_url: str, event_id: str) -> dict | None:
    return next((entry for entry in ran_events(redis_url) if entry["event_id"] == event_id), None)


def ready(server) -> dict:
    return httpx.get(server.url + "/health/ready", timeout=10).json()


def test_a_gpu_endpoint_waits_for_a_gpu_worker_and_runs_only_there(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    assert ready(server)["queues"] == {"hubhooks": 0, "gpu": 0}  # every queue of the app, from the start
    default = worker(redis_url, APP)
    wait_until(lambda: "not working queue(s) gpu" in default.output(), timeout=60)
    assert f"hubhooks worker {APP} --queue NAME" in default.output()

    gpu_event, cpu_event = post(server, "gpu"), post(server, "cpu")
    cpu_run = wait_until(lambda: run_of(redis_url, cpu_event), timeout=60)
    assert cpu_run["pid"] == default.popen.pid
    connection = Redis.from_url(redis_url)
    assert run_of(redis_url, gpu_event) is None
    assert jobs.queue_counts(connection, "gpu").queued == 1

    gpu = worker(redis_url, APP, "--queue", "gpu")
    gpu_run = wait_until(lambda: run_of(redis_url, gpu_event), timeout=60)
    assert gpu_run["pid"] == gpu.popen.pid
    assert "not working queue(s) hubhooks" in gpu.output()  # it says what it leaves to others
    wait_until(lambda: ready(server)["queues"] == {"hubhooks": 1, "gpu": 1}, timeout=30)
    assert ready(server)["workers"] == 1  # the default queue's

    another = post(server, "cpu")
    assert wait_until(lambda: run_of(redis_url, another), timeout=60)["pid"] == default.popen.pid


def test_queue_is_repeatable_and_one_worker_can_work_both(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    both = worker(redis_url, APP, "--queue", "gpu", "--queue", "hubhooks")
    events = [post(server, "gpu"), post(server, "cpu")]
    wait_until(lambda: all(run_of(redis_url, event) for event in events), timeout=60)
    assert {run_of(redis_url, event)["pid"] for event in events} == {both.popen.pid}
    assert "not working" not in both.output()


def test_the_pool_of_serve_works_every_queue_of_the_app(redis_url, front_end):
    server = front_end(redis_url, app=APP, env={"HUBHOOKS_WORKERS": "1"})
    events = {post(server, "gpu"): "gpu", post(server, "cpu"): "cpu"}
    wait_until(lambda: all(run_of(redis_url, event) for event in events), timeout=90)
    assert {run_of(redis_url, event)["handler"] for event in events} == {"gpu", "cpu"}
    assert ready(server)["queues"] == {"hubhooks": 1, "gpu": 1}


def test_the_embedded_worker_works_every_queue_of_the_app(redis_url, front_end):
    # No REDIS_URL (empty means unset): the in-memory queue and its in-process worker.
    server = front_end(None, app=APP, env={"REDIS_URL": "", "RECORD_URL": redis_url})
    events = [post(server, "gpu"), post(server, "cpu")]
    wait_until(lambda: all(run_of(redis_url, event) for event in events), timeout=60)
    assert {run_of(redis_url, event)["pid"] for event in events} == {server.popen.pid}


def test_a_worker_warns_about_a_queue_no_endpoint_writes_to(caplog):
    caplog.set_level(logging.INFO, logger="workers.worker")
    log_queue_plan("app.py", ["gpu", "typo"], ["hubhooks", "gpu"])
    assert "not working queue(s) hubhooks of app.py" in caplog.text
    assert "no endpoint of app.py writes to queue(s) typo (its queues: hubhooks, gpu)" in caplog.text
    caplog.clear()
    log_queue_plan("app.py", ["hubhooks", "gpu"], ["hubhooks", "gpu"])
    assert caplog.text == ""
