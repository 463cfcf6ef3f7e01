"""Progress through a real worker process: a handler reports it and waits; the dashboard's data
layer and ``hubhooks info`` show it while the job runs, and stop showing it once it ends."""

from __future__ import annotations

import os
import subprocess

import pytest

from service.dashboard.counts import overview
from service.dashboard.events import event_detail, events_page
from tests.conftest import ROOT, hubhooks, wait_until
from tests.dashboard.conftest import APP, QUEUES, body_for
from tests.dashboard.dashboard_app import RELEASE_KEY

ROUTES = {"/webhooks/trains": "hubhooks"}


def info(redis_url: str) -> str:
    environment = {**os.environ, "REDIS_URL": redis_url}
    done = subprocess.run(
        hubhooks("info"), cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.timeout(180)
def test_a_running_handlers_progress_shows_in_the_dashboard_and_in_info(redis_url, connection, post, worker):
    worker(redis_url, APP)
    job_id = post("trains", body_for(repo="org/big-model"))

    def running_row():
        (row,) = events_page(connection, QUEUES).rows
        return row if row.status == "started" and row.progress is not None else None

    row = wait_until(running_row, timeout=60)
    assert (row.progress.fraction, row.progress.message) == (0.25, "epoch 1/4 on org/big-model")
    detail = event_detail(connection, job_id)
    assert detail is not None and detail.progress == row.progress
    state = overview(connection, QUEUES, ROUTES)
    assert [info.current_job for info in state.workers] == [job_id]
    assert state.progress[job_id] == row.progress
    printed = info(redis_url)
    assert f"job={job_id}" in printed
    assert "progress=25% 'epoch 1/4 on org/big-model' reported" in printed

    connection.rpush(RELEASE_KEY + job_id, "go")
    wait_until(lambda: events_page(connection, QUEUES).rows[0].status == "finished", timeout=60)
    (row,) = events_page(connection, QUEUES).rows
    assert row.progress is None  # shown for running jobs only
    assert event_detail(connection, job_id).progress is None
    assert "progress=" not in info(redis_url)
