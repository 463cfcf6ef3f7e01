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
from tests.dashboard.conftest import QUEUE
from workers.worker import build_worker

ROUTES = ["/webhooks/ok", "/webhooks/fails_once"]


def by_route(state: counts.Overview) -> dict[str, counts.RouteCounts]:
    return {row.route: row for row in state.routes}


def test_queued_events_are_counted_per_queue_and_route_with_the_oldest_wait(connection, post):
    post("ok")
    post("ok")
    post("fails_once")
    state = overview(connection, QUEUE, ROUTES, now=time.time() + 30)
    assert state.queue.queued == 3 and state.queue.finished == 0
    assert by_route(state)["/webhooks/ok"].queued == 2
    assert by_route(state)["/webhooks/fails_once"].queued == 1
    assert 29 <= state.oldest_queued_seconds < 40
    assert 29 <= by_route(state)["/webhooks/ok"].oldest_queued_seconds < 40
    assert state.window == 3


def test_after_a_run_counts_move_to_finished_failed_and_scheduled(connection, post, work):
    post("ok")
    post("fails_once")
    post("retried_later")
    work()
    state = overview(connection, QUEUE, ROUTES)
    assert (state.queue.queued, state.queue.finished, state.queue.failed, state.queue.scheduled) == (
        0,
        1,
        1,
        1,
    )
    routes = by_route(state)
    assert (routes["/webhooks/ok"].finished, routes["/webhooks/ok"].failed) == (1, 0)
    assert (routes["/webhooks/fails_once"].finished, routes["/webhooks/fails_once"].failed) == (0, 1)
    assert routes["/webhooks/retried_later"].scheduled == 1  # a route outside ROUTES is listed too
    assert state.oldest_queued_seconds is None


def test_registered_routes_without_events_are_listed_with_zeros(connection):
    state = overview(connection, QUEUE, ROUTES)
    assert [row.route for row in state.routes] == sorted(ROUTES)
    assert all(row.queued == row.failed == row.finished == 0 for row in state.routes)


def test_route_counts_cover_only_the_newest_window(connection, post, monkeypatch):
    monkeypatch.setattr(counts, "ROUTE_WINDOW", 2)
    post("fails_once")
    post("ok")
    post("ok")
    state = overview(connection, QUEUE, ROUTES)
    assert state.queue.queued == 3
    assert state.window == 2
    assert by_route(state)["/webhooks/ok"].queued == 2
    assert by_route(state)["/webhooks/fails_once"].queued == 0


def test_queued_events_and_no_live_worker_is_stalled(connection, post):
    post("ok")
    state = overview(connection, QUEUE, ROUTES)
    assert state.workers == [] and state.stalled


def test_a_live_worker_on_the_queue_is_listed_and_clears_the_stall(connection, post):
    post("ok")
    worker = build_worker(connection, [QUEUE])
    other = build_worker(connection, ["another-queue"])
    worker.register_birth()
    other.register_birth()
    try:
        worker.heartbeat()
        state = overview(connection, QUEUE, ROUTES)
    finally:
        worker.register_death()
        other.register_death()
    assert [info.name for info in state.workers] == [worker.name]
    info = state.workers[0]
    assert info.hostname and info.seconds_since_heartbeat is not None and info.seconds_since_heartbeat < 5
    assert (info.successful_jobs, info.failed_jobs) == (0, 0)
    assert not state.stalled


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
        results["overview"] = overview(connection, QUEUE, ROUTES)
        results["page"] = events_page(connection, QUEUE, 0)
        results["detail"] = event_detail(connection, failed)
        results["plot"] = events_per_minute(connection, QUEUE)
        results["failed ids"] = jobs.failed_job_ids(connection, QUEUE, route="/webhooks/fails_once")
        results["replayed"] = jobs.replay_event(event_queue, handlers, failed)
        results["requeued"] = jobs.requeue_failed(connection, QUEUE, route="/webhooks/fails_once")
        results["deleted"] = jobs.delete_job(connection, QUEUE, queued)
        results["requeued one"] = jobs.requeue_failed(connection, QUEUE, [other])

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)
    assert len(results) == 9, results
    assert results["failed ids"] == results["requeued"] == [failed]


@pytest.mark.parametrize("raw", [None, b"", b"not a time"])
def test_an_unreadable_enqueue_time_has_no_age(raw):
    assert counts._age(raw, time.time()) is None
