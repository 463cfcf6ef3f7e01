"""The Redis check at start, as users meet it: `hubhooks serve`, `hubhooks worker`, `python app.py`
and the worker pool, as real processes. A configuration error is a message and exit code 2, never a
traceback; an unreachable Redis is waited for (a front end for a while, a worker until it answers).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

from redis import Redis

from service.enqueue import EventQueue
from service.handler import Handler
from tests.conftest import (
    RECORDING_APP,
    ROOT,
    RedisProcess,
    free_port,
    hubhooks,
    load_payload,
    ran_events,
    wait_until,
)
from workers.pool import WorkerPool

BODY = load_payload("repo-content-updated-refs.json")


def run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=90)


def assert_configuration_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "hubhooks: Redis at " in result.stderr, result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr


def enqueue_event(redis_url: str, route: str = "/webhooks/sync_handler", app: str = RECORDING_APP) -> str:
    """Write one event as the front end of ``app`` would; return its job id."""
    handler = Handler.from_function(route, lambda payload: None)
    queue = EventQueue(Redis.from_url(redis_url), "hubhooks", app, job_timeout=60)
    return queue.enqueue(handler, json.dumps(BODY)).meta.job_id


def test_worker_refuses_a_redis_without_evalsha(start_redis):
    server = start_redis(['rename-command EVALSHA ""'])
    result = run(hubhooks("worker", RECORDING_APP), REDIS_URL=server.url)
    assert_configuration_error(result, "lacks EVALSHA", "RQ's scheduler")


def test_serve_gives_up_on_an_unreachable_redis_after_its_wait(tmp_path):
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    result = run(hubhooks("serve", RECORDING_APP, "--port", str(free_port())), REDIS_URL=url,
                 HUBHOOKS_REDIS_WAIT_SECONDS="1")  # fmt: skip
    assert_configuration_error(result, "unreachable after waiting 1 s", "connection refused")
    assert "hunter2" not in result.stdout + result.stderr
    assert "trying again" in result.stderr  # it did wait


def test_serve_with_a_pool_checks_what_its_workers_need(start_redis):
    server = start_redis(['rename-command HINCRBYFLOAT ""'])  # only workers send it
    result = run(hubhooks("serve", RECORDING_APP, "--workers", "1", "--port", str(free_port())),
                 REDIS_URL=server.url)  # fmt: skip
    assert_configuration_error(result, "lacks HINCRBYFLOAT", "workers need them")
    assert "Pool: started" not in result.stderr


def test_python_app_py_reports_a_redis_check_failure_like_the_cli(start_redis, tls_files):
    server = start_redis(tls=tls_files)
    untrusted = server.url.split("?")[0]
    result = run([sys.executable, RECORDING_APP], REDIS_URL=untrusted, GRADIO_SERVER_PORT=str(free_port()))
    assert_configuration_error(result, "TLS certificate is not trusted", "ssl_ca_certs=")


def test_the_example_app_started_at_script_end_reports_it_with_exit_2_too():
    # app.py uses @webhook_endpoint: the server starts from an exit hook, where Python would
    # swallow the SystemExit (a traceback, then exit 0).
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = run([sys.executable, "app.py"], REDIS_URL=url, HUBHOOKS_REDIS_WAIT_SECONDS="0",
                 GRADIO_SERVER_PORT=str(free_port()))  # fmt: skip
    assert_configuration_error(result, "unreachable", "connection refused")


def test_a_worker_started_before_redis_waits_for_it_then_works(tmp_path, spawn):
    server = RedisProcess(tmp_path / "late")  # not running yet: its port is known
    worker = spawn(hubhooks("worker", RECORDING_APP), {"REDIS_URL": server.url}, name="worker")
    wait_until(lambda: "unreachable" in worker.output(), timeout=60)
    assert worker.popen.poll() is None
    server.start()
    try:
        enqueue_event(server.url)
        wait_until(lambda: ran_events(server.url), timeout=60)
        assert "Redis check: " in worker.output() and worker.popen.poll() is None
    finally:
        server.stop()


def test_the_pool_does_not_restart_a_worker_that_exits_with_a_configuration_error(
    redis_url, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="workers.pool")
    monkeypatch.setenv("REDIS_URL", redis_url)  # the pool's workers inherit the front end's environment
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pool = WorkerPool("no_such_app.py", 1)
    pool.start()
    try:
        wait_until(lambda: "not restarting" in caplog.text, timeout=60)
        assert pool.processes[0].returncode == 2
        time.sleep(2.5)  # the pool looks at its processes every second: it would have respawned by now
    finally:
        pool.stop()
    assert caplog.text.count("Pool: started worker process") == 1
