"""The counts view: exact per queue, per route over the newest events, the oldest wait, liveness."""

from __future__ import annotations

import threading
import time

import pytest
from rq.registry import BaseRegistry

from service import jobs
from service.dashboard import counts
from service.dashboard.activity import events_per_minute
from service.dashboard.counts import overview
from service.dashboard.events import event_detail, events_page
from tests.dashboard.conftest import GPU, QUEUE, QUEUES, body_for
from workers.worker import build_worker

ROUTES = {"/webhooks/ok": QUEUE, "/webhooks/fails_once": QUEUE, "/webhooks/on_gpu": GPU}


def by_route(state: counts.Overview) -> dict[str, counts.RouteCounts]:
    return {row.route: row for row in state.routes}


def by_queue(state: counts.Overview) -> dict[str, counts.QueueState]:
    return {queue.name: queue for queue in state.queues}


def test_queued_events_are_counted_per_queue_and_route_with_the_oldest_wait(connection, post):
    post("ok")
    post("ok")
    post("fails_once")
    state = overview(connection, QUEUES, ROUTES, now=time.time() + 30)
    default = by_queue(state)[QUEUE]
    assert default.counts.queued == 3 and default.counts.finished == 0
    assert by_route(state)["/webhooks/ok"].queued == 2
    assert by_route(state)["/webhooks/fails_once"].queued == 1
    assert 29 <= default.oldest_queued_seconds < 40
    assert 29 <= by_route(state)["/webhooks/ok"].oldest_queued_seconds < 40
    assert by_queue(state)[GPU].counts.queued == 0 and by_queue(state)[GPU].oldest_queued_seconds is None
    assert state.window == 3


def test_after_a_run_counts_move_to_finished_failed_and_scheduled(connection, post, work):
    post("ok")
    post("fails_once")
    post("retried_later")
    work()
    state = overview(connection, QUEUES, ROUTES)
    queue = by_queue(state)[QUEUE].counts
    assert (queue.queued, queue.finished, queue.failed, queue.scheduled) == (0, 1, 1, 1)
    assert (state.total("finished"), state.total("failed"), state.total("scheduled")) == (1, 1, 1)
    routes = by_route(state)
    assert (routes["/webhooks/ok"].finished, routes["/webhooks/ok"].failed) == (1, 0)
    assert (routes["/webhooks/fails_once"].finished, routes["/webhooks/fails_once"].failed) == (0, 1)
    assert routes["/webhooks/retried_later"].scheduled == 1  # a route outside ROUTES is listed too
    assert by_queue(state)[QUEUE].oldest_queued_seconds is None


def test_every_queue_of_the_app_is_counted_and_its_routes_listed_under_it(connection, post, work):
    post("ok")
    post("on_gpu", body_for(repo="org/a"))
    post("on_gpu", body_for(repo="org/b", action="delete"))  # fails
    work()
    post("on_gpu", body_for(repo="org/c"))  # waits
    state = overview(connection, QUEUES, ROUTES)
    gpu = by_queue(state)[GPU].counts
    assert (gpu.queued, gpu.finished, gpu.failed) == (1, 1, 1)
    assert by_queue(state)[QUEUE].counts.finished == 1
    assert (state.total("queued"), state.total("finished"), state.total("failed")) == (1, 2, 1)
    on_gpu = by_route(state)["/webhooks/on_gpu"]
    assert (on_gpu.queue, on_gpu.queued, on_gpu.finished, on_gpu.failed) == (GPU, 1, 1, 1)
    assert [row.queue for row in state.routes] == [QUEUE, QUEUE, GPU]  # grouped by queue, in order
    assert state.window == 4


def test_registered_routes_without_events_are_listed_with_zeros(connection):
    state = overview(connection, QUEUES, ROUTES)
    assert [row.route for row in state.routes] == ["/webhooks/fails_once", "/webhooks/ok", "/webhooks/on_gpu"]
    assert all(row.queued == row.failed == row.finished == 0 for row in state.routes)


def test_route_counts_cover_only_the_newest_window_of_all_queues(connection, post, monkeypatch):
    monkeypatch.setattr(counts, "ROUTE_WINDOW", 2)
    post("fails_once")
    post("on_gpu")
    post("ok")
    state = overview(connection, QUEUES, ROUTES)
    assert state.total("queued") == 3
    assert state.window == 2
    assert by_route(state)["/webhooks/ok"].queued == 1
    assert by_route(state)["/webhooks/on_gpu"].queued == 1
    assert by_route(state)["/webhooks/fails_once"].queued == 0


def test_queued_events_and_no_live_worker_is_stalled(connection, post):
    post("ok")
    state = overview(connection, QUEUES, ROUTES)
    assert state.workers == [] and [queue.name for queue in state.stalled] == [QUEUE]


def test_a_queue_no_live_worker_serves_is_stalled_even_when_others_are_served(connection, post):
    post("ok")
    post("on_gpu")
    worker = build_worker(connection, [QUEUE])
    stranger = build_worker(connection, ["another-app"])
    worker.register_birth()
    stranger.register_birth()
    try:
        worker.heartbeat()
        state = overview(connection, QUEUES, ROUTES)
    finally:
        worker.register_death()
        stranger.register_death()
    assert [queue.name for queue in state.stalled] == [GPU]
    assert [info.name for info in state.workers] == [worker.name]  # a worker of other queues is not ours
    assert [info.name for info in by_queue(state)[QUEUE].workers] == [worker.name]
    info = state.workers[0]
    assert info.hostname and info.seconds_since_heartbeat is not None and info.seconds_since_heartbeat < 5
    assert (info.successful_jobs, info.failed_jobs) == (0, 0)


def test_a_worker_on_every_queue_clears_every_stall(connection, post):
    post("ok")
    post("on_gpu")
    worker = build_worker(connection, QUEUES)
    worker.register_birth()
    try:
        state = overview(connection, QUEUES, ROUTES)
    finally:
        worker.register_death()
    assert state.stalled == []
    assert all(queue.workers for queue in state.queues)


def test_no_read_or_action_runs_registry_cleanup_and_all_work_off_the_main_thread(
    connection, post, work, monkeypatch, event_queue, handlers
):
    post("ok")
    failed = post("fails_once")
    other = post("always_fails")
    work()
    queued = post("ok")

    def refuse(*args, **kwargs):
        raise AssertionError("a dashboard read ran RQ's registry cleanup")

    monkeypatch.setattr(BaseRegistry, "cleanup", refuse)
    results: dict[str, object] = {}

    def read() -> None:
        results["overview"] = overview(connection, QUEUES, ROUTES)
        results["page"] = events_page(connection, QUEUES)
        results["detail"] = event_detail(connection, failed)
        results["plot"] = events_per_minute(connection, QUEUES)
        results["failed ids"] = jobs.failed_job_ids(connection, QUEUE, route="/webhooks/fails_once")
        results["replayed"] = jobs.replay_event(event_queue, handlers, failed)
        results["requeued"] = jobs.requeue_failed(connection, QUEUE, route="/webhooks/fails_once")
        results["deleted"] = jobs.delete_job(connection, queued)
        results["requeued one"] = jobs.requeue_jobs(connection, [other])

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)
    assert len(results) == 9, results
    assert results["failed ids"] == results["requeued"] == [failed]


@pytest.mark.parametrize("raw", [None, b"", b"not a time"])
def test_an_unreadable_enqueue_time_has_no_age(raw):
    assert counts._age(raw, time.time()) is None
