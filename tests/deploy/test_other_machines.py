"""Workers on other machines: the package, a copy of the app and REDIS_URL are all they need, and
`hubhooks info` shows where each worker runs."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess

import httpx
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer

from service import jobs
from service.enqueue import EventQueue
from service.handler import Handler
from service.policy import DeliveryPolicy
from tests.conftest import RECORDING_APP, ROOT, SECRET, hubhooks, load_payload, ran_events, wait_until

BODY = load_payload("repo-content-updated-refs.json")
QUEUES_APP = "tests/apps/queues_app.py"


def test_a_worker_with_its_own_copy_of_the_app_elsewhere_runs_the_jobs(redis_url, front_end, spawn, tmp_path):
    # Another machine: another directory, the app under another name, this project importable
    # (`spawn` puts it on PYTHONPATH, as `pip install` would) and nothing else of this checkout.
    machine = tmp_path / "gpu-box" / "srv"
    machine.mkdir(parents=True)
    shutil.copy(ROOT / RECORDING_APP, machine / "hooks.py")
    elsewhere = spawn(hubhooks("worker", "hooks.py"), {"REDIS_URL": redis_url}, name="elsewhere", cwd=machine)
    server = front_end(redis_url)  # it names the app RECORDING_APP in every job
    answer = httpx.post(
        server.url + "/webhooks/sync_handler",
        content=json.dumps(BODY),
        headers={"X-Webhook-Secret": SECRET},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    (run,) = wait_until(lambda: ran_events(redis_url), timeout=60)
    assert run["event_id"] == answer.json()["event_id"]
    job = Job.fetch(answer.json()["job_id"], connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    wait_until(lambda: job.get_status(refresh=True) == "finished", timeout=30)
    assert job.args[0] == RECORDING_APP
    (worker,) = jobs.workers(Redis.from_url(redis_url))
    assert job.worker_name == worker.name and worker.pid == elsewhere.popen.pid


def test_info_shows_every_queue_and_each_workers_host(redis_url, worker):
    gpu_handler = Handler.from_function("/webhooks/gpu", lambda payload: None, DeliveryPolicy(queue="gpu"))
    EventQueue(Redis.from_url(redis_url), "hubhooks", QUEUES_APP, job_timeout=60).enqueue(
        gpu_handler, json.dumps(BODY)
    )
    default = worker(redis_url, QUEUES_APP)
    gpu = worker(redis_url, QUEUES_APP, "--queue", "gpu")
    connection = Redis.from_url(redis_url)
    wait_until(lambda: len(jobs.workers(connection)) == 2, timeout=60)
    wait_until(lambda: jobs.queue_counts(connection, "gpu").finished == 1, timeout=60)

    info = subprocess.run(
        hubhooks("info"),
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert info.returncode == 0, info.stderr
    lines = info.stdout.splitlines()
    assert lines[0].startswith("queue hubhooks: ")  # the default queue first, then the others
    assert lines[1].startswith("queue gpu: ") and "finished=1" in lines[1]
    assert "workers: 2" in lines
    host = socket.gethostname()
    for process, queues in ((default, "hubhooks"), (gpu, "gpu")):
        (line,) = [line for line in lines if f" pid={process.popen.pid} " in line]
        assert f"host={host} " in line and f" queues={queues} " in line, line


def test_info_on_an_unreachable_redis_is_a_message_not_a_traceback():
    result = subprocess.run(
        hubhooks("info"),
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": "redis://:hunter2@127.0.0.1:1/0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "hubhooks info: Redis at redis://:***@127.0.0.1:1/0: nothing accepts connections" in result.stderr
