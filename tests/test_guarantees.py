"""Delivery guarantees through real processes: retries, timeouts, dead letter, dedup, crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import httpx
from redis import Redis

from service import jobs
from tests.conftest import ROOT, SECRET, hubhooks, load_payload, ran_events, wait_until

APP = "tests/apps/policy_app.py"
BODY = load_payload("repo-content-updated-refs.json")
HEADERS = {"X-Webhook-Secret": SECRET}


def post(server, route: str, body: object = BODY) -> httpx.Response:
    return httpx.post(f"{server.url}/webhooks/{route}", content=json.dumps(body), headers=HEADERS, timeout=10)


def runs(redis_url: str, handler: str) -> list[dict]:
    return [entry for entry in ran_events(redis_url) if entry["handler"] == handler]


def job_status(redis_url: str, job_id: str) -> str:
    status = jobs.fetch_job(Redis.from_url(redis_url), job_id).get_status(refresh=True)
    return status.value if status is not None else "missing"


def test_a_failing_handler_is_retried_and_succeeds(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)
    job_id = post(server, "flaky").json()["job_id"]
    wait_until(lambda: job_status(redis_url, job_id) == "finished", timeout=30)
    assert [entry["attempt"] for entry in runs(redis_url, "flaky")] == [1, 2]


def test_a_handler_over_its_timeout_fails_with_the_reason(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)
    job_id = post(server, "too_slow").json()["job_id"]
    wait_until(lambda: job_status(redis_url, job_id) == "failed", timeout=30)
    job = jobs.fetch_job(Redis.from_url(redis_url), job_id)
    assert "JobTimeoutException" in job.latest_result().exc_string
    assert job_id in jobs.failed_job_ids(Redis.from_url(redis_url), "hubhooks")


def test_exhausted_retries_land_in_the_dead_letter_and_can_be_requeued(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)
    job_id = post(server, "always_fails").json()["job_id"]
    connection = Redis.from_url(redis_url)
    wait_until(lambda: job_id in jobs.failed_job_ids(connection, "hubhooks"), timeout=30)
    assert [entry["attempt"] for entry in runs(redis_url, "always_fails")] == [1, 2]
    assert "always_fails failed on attempt 2" in jobs.fetch_job(connection, job_id).latest_result().exc_string

    environment = {**os.environ, "REDIS_URL": redis_url}
    info = subprocess.run(
        hubhooks("info"), cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert info.returncode == 0, info.stderr
    assert "failed=1" in info.stdout and "workers: 1" in info.stdout

    unknown = subprocess.run(
        hubhooks("requeue", "nope"), cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "'nope' is not in the failed registry" in unknown.stderr

    requeue = subprocess.run(
        hubhooks("requeue", "--all"), cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert requeue.returncode == 0, requeue.stderr
    assert f"requeued {job_id}" in requeue.stdout
    wait_until(lambda: len(runs(redis_url, "always_fails")) == 3, timeout=30)
    assert runs(redis_url, "always_fails")[-1]["attempt"] == 3


def test_an_identical_delivery_within_the_window_runs_once(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)
    first = post(server, "deduplicated")
    second = post(server, "deduplicated")
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate", "job_id": first.json()["job_id"]}
    other = json.loads(json.dumps(BODY))
    other["repo"]["headSha"] = "0" * 40
    assert post(server, "deduplicated", other).status_code == 202
    wait_until(lambda: len(runs(redis_url, "deduplicated")) == 2)
    time.sleep(1)
    assert len(runs(redis_url, "deduplicated")) == 2


def test_dedup_window_zero_runs_every_delivery(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)
    assert [post(server, "every_delivery").status_code for _ in range(3)] == [202, 202, 202]
    wait_until(lambda: len(runs(redis_url, "every_delivery")) == 3)


def test_a_refused_write_leaves_no_dedup_mark_to_swallow_the_retry(own_redis, front_end):
    server = front_end(own_redis.url, app=APP)
    admin = Redis.from_url(own_redis.url)
    admin.config_set("maxmemory", 1)  # every write is refused with OOM, as on a full Redis
    try:
        refused = post(server, "deduplicated")
    finally:
        admin.config_set("maxmemory", 0)
    assert refused.status_code == 503
    assert admin.keys("hubhooks:dedup:*") == []
    assert post(server, "deduplicated").status_code == 202


def test_a_job_of_a_sigkilled_worker_runs_again_on_another(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    first = worker(redis_url, APP, env={"LONG_SECONDS": "6"})
    second = worker(redis_url, APP, env={"LONG_SECONDS": "6"})
    job_id = post(server, "long").json()["job_id"]
    started = wait_until(lambda: runs(redis_url, "long-start"))[0]
    victim = first if started["pid"] == first.popen.pid else second
    victim.popen.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    ended = wait_until(lambda: runs(redis_url, "long-end"), timeout=60)[0]
    assert ended["attempt"] == 2 and ended["pid"] != started["pid"]
    assert time.monotonic() - killed_at < 40
    wait_until(lambda: job_status(redis_url, job_id) == "finished")


def test_sigterm_lets_a_worker_finish_its_job_and_exit_0(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    process = worker(redis_url, APP, env={"LONG_SECONDS": "3"})
    job_id = post(server, "long").json()["job_id"]
    wait_until(lambda: runs(redis_url, "long-start"))
    post(server, "every_delivery")  # queued behind: must not be taken after SIGTERM
    process.popen.send_signal(signal.SIGTERM)
    assert process.popen.wait(timeout=30) == 0
    assert runs(redis_url, "long-end")
    assert job_status(redis_url, job_id) == "finished"
    assert runs(redis_url, "every_delivery") == []


def test_sigterm_to_the_front_end_finishes_requests_in_flight_and_takes_no_new_ones(redis_url, front_end):
    import threading

    server = front_end(redis_url, app=APP)
    body = json.dumps({**BODY, "in_flight": True}).encode()
    half_sent = threading.Event()

    def slow_body():
        yield body[: len(body) // 2]
        half_sent.set()
        time.sleep(1.5)  # the front end gets SIGTERM meanwhile
        yield body[len(body) // 2 :]

    answers: list[httpx.Response] = []
    sender = threading.Thread(
        target=lambda: answers.append(
            httpx.post(
                f"{server.url}/webhooks/every_delivery", content=slow_body(), headers=HEADERS, timeout=30
            )
        )
    )
    sender.start()
    assert half_sent.wait(timeout=10)
    time.sleep(0.2)
    server.popen.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    try:
        late = httpx.post(f"{server.url}/webhooks/every_delivery", json=BODY, headers=HEADERS, timeout=3)
    except httpx.HTTPError:
        late = None  # refused: the listening socket is closed
    sender.join(timeout=30)
    assert late is None, f"a new request was served after SIGTERM: {late.status_code}"
    assert answers and answers[0].status_code == 202  # the request in flight completed
    job_id = answers[0].json()["job_id"]
    assert job_status(redis_url, job_id) == "queued"  # and its event is safe in Redis
    assert server.popen.wait(timeout=30) == 0
