"""The embedded default: no REDIS_URL, an in-memory Redis and a worker in the same process."""

from __future__ import annotations

import signal
import sys

import httpx

from tests.conftest import PAYLOADS, free_port, hubhooks, load_payload, wait_until

CONTENT_UPDATE = load_payload("repo-content-updated-refs.json")


def _start(spawn, command: list[str]):
    port = free_port()
    env = {"GRADIO_SERVER_PORT": str(port), "REDIS_URL": "", "WEBHOOK_SECRET": ""}
    process = spawn(command, env, name="embedded")
    process.url = f"http://127.0.0.1:{port}"
    wait_until(lambda: "Listening on hubhooks" in process.output(), timeout=60, interval=0.2)
    return process


def test_python_app_py_answers_a_post_and_runs_the_handler(spawn):
    process = _start(spawn, [sys.executable, "app.py"])
    answer = httpx.post(process.url + "/webhooks/trigger_training", json=CONTENT_UPDATE, timeout=10)
    assert answer.status_code == 202
    job_id = answer.json()["job_id"]
    wait_until(lambda: f"Job OK ({job_id})" in process.output())
    output = process.output()
    assert "EMBEDDED in-memory Redis" in output
    assert "Webhook secret is not defined" in output
    assert "  - POST http://127.0.0.1:" in output and "/webhooks/trigger_evaluation" in output
    assert process.stop(signal.SIGINT) == 0


def test_hubhooks_serve_without_redis_url_runs_embedded(spawn):
    process = _start(spawn, hubhooks("serve", "app.py"))
    answer = httpx.post(process.url + "/webhooks/trigger_evaluation", json=CONTENT_UPDATE, timeout=10)
    assert answer.status_code == 202
    wait_until(lambda: f"Job OK ({answer.json()['job_id']})" in process.output())
    assert process.stop(signal.SIGTERM) == 0


def test_launch_without_thread_lock_returns_and_still_runs_handlers(spawn):
    env = {
        "GRADIO_SERVER_PORT": str(free_port()),
        "REDIS_URL": "",
        "PAYLOAD_FILE": str(PAYLOADS / "repo-content-updated-refs.json"),
    }
    process = spawn([sys.executable, "tests/apps/nonblocking_app.py"], env, name="nonblocking")
    assert process.popen.wait(timeout=60) == 0, process.output()
    output = process.output()
    assert "ANSWER 202" in output
    assert "SEEN ['Wauplin/gradio-user-history']" in output
