"""``hubhooks worker`` and ``hubhooks serve --workers N`` as real processes."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.conftest import RECORDING_APP, ROOT, SECRET, hubhooks, load_payload, ran_events, wait_until

CONTENT_UPDATE = load_payload("repo-content-updated-refs.json")


def test_importing_an_app_for_a_worker_starts_nothing_and_leaves_gradio_out():
    script = (
        "import sys; from workers.worker import load_app, install_app; "
        f"loaded = load_app({RECORDING_APP!r}); install_app(loaded.name, loaded.server.handlers); "
        "import service.endpoint, threading; "
        "print(sorted(loaded.server.handlers), 'gradio' in sys.modules, threading.active_count())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    routes, gradio_loaded, threads = result.stdout.rsplit(" ", 2)
    assert "/webhooks/sync_handler" in routes
    assert gradio_loaded == "False"
    assert threads.strip() == "1"


def test_worker_without_redis_url_says_why_it_cannot_run():
    result = subprocess.run(
        hubhooks("worker", RECORDING_APP),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr


def test_missing_app_file_is_a_clear_error(redis_url):
    result = subprocess.run(
        hubhooks("worker", "no_such_app.py", "--redis-url", redis_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "App file not found: 'no_such_app.py'" in result.stderr


def test_serve_with_workers_supervises_worker_processes(redis_url, front_end):
    server = front_end(redis_url, env={"HUBHOOKS_WORKERS": "2"})
    for number in range(4):
        body = {**CONTENT_UPDATE, "repo": {**CONTENT_UPDATE["repo"], "headSha": f"{number:040d}"}}
        answer = httpx.post(
            server.url + "/webhooks/sync_handler", json=body, headers={"X-Webhook-Secret": SECRET}
        )
        assert answer.status_code == 202
    wait_until(lambda: len(ran_events(redis_url)) == 4, timeout=60)
    assert server.output().count("Pool: started worker process") == 2


def test_sigterm_to_serve_stops_its_supervised_workers_and_exits_0(redis_url, front_end):
    import signal

    from redis import Redis
    from rq import Worker

    server = front_end(redis_url, env={"HUBHOOKS_WORKERS": "2"})
    connection = Redis.from_url(redis_url)
    wait_until(lambda: Worker.count(connection=connection) == 2, timeout=60)
    server.popen.send_signal(signal.SIGTERM)
    assert server.popen.wait(timeout=60) == 0
    assert Worker.count(connection=connection) == 0  # each worker left, none orphaned
    assert server.output().count("Pool: started worker process") == 2


def test_sigterm_to_an_idle_worker_stops_it_at_once_with_exit_0(redis_url, worker):
    import signal
    import time

    from redis import Redis
    from rq import Worker

    process = worker(redis_url)
    connection = Redis.from_url(redis_url)
    wait_until(lambda: Worker.count(connection=connection) == 1, timeout=30)
    asked = time.monotonic()
    process.popen.send_signal(signal.SIGTERM)
    assert process.popen.wait(timeout=20) == 0
    assert time.monotonic() - asked < 10
    assert "restarting" not in process.output()
    assert Worker.count(connection=connection) == 0
