"""The events view: pages newest first over every queue, and one event in detail."""

from __future__ import annotations

import json

from rq.job import Job

from service.dashboard.events import EXPIRED, Cursor, event_detail, events_page
from service.enqueue import events_key
from tests.dashboard.conftest import GPU, QUEUE, QUEUES, body_for


def ids(page) -> list[str]:
    return [row.job_id for row in page.rows]


def test_a_page_lists_events_newest_first_with_what_the_table_shows(connection, post, work):
    first = post("ok", body_for(repo="org/first"))
    second = post("fails_once", body_for(repo="org/second", action="create"))
    work()
    page = events_page(connection, QUEUES, page_size=10)
    assert ids(page) == [second, first]
    newest = page.rows[0]
    assert (newest.route, newest.repo, newest.scope, newest.action, newest.queue) == (
        "/webhooks/fails_once",
        "org/second",
        "repo.content",
        "create",
        QUEUE,
    )
    assert (newest.status, newest.attempts, newest.progress) == ("failed", 1, None)
    assert newest.duration_seconds is not None and newest.duration_seconds < 5
    assert page.rows[1].status == "finished"
    assert (page.total, page.first, page.next) == (2, 1, None)


def test_events_of_every_queue_are_merged_newest_first(connection, post, work):
    first = post("ok")
    on_gpu = post("on_gpu", body_for(repo="org/gpu"))
    last = post("fails_once")
    page = events_page(connection, QUEUES)
    assert ids(page) == [last, on_gpu, first]
    assert [row.queue for row in page.rows] == [QUEUE, GPU, QUEUE]
    assert page.total == 3
    assert ids(events_page(connection, [GPU])) == [on_gpu]


def test_pages_follow_a_cursor_across_queues_and_stay_put_when_new_events_arrive(connection, post):
    posted = [
        post("on_gpu" if number % 3 == 0 else "ok", body_for(repo=f"org/{number}")) for number in range(7)
    ]
    newest_first = posted[::-1]
    first = events_page(connection, QUEUES, page_size=3)
    assert ids(first) == newest_first[:3] and first.first == 1
    second = events_page(connection, QUEUES, first.next, page_size=3)
    assert ids(second) == newest_first[3:6] and second.first == 4
    third = events_page(connection, QUEUES, second.next, page_size=3)
    assert ids(third) == newest_first[6:] and third.next is None
    newer = post("ok", body_for(repo="org/newer"))
    again = events_page(connection, QUEUES, first.next, page_size=3)
    assert ids(again) == ids(second)  # the same rows: a cursor does not shift
    assert (again.first, again.total) == (5, 8)  # one more event before them now
    assert ids(events_page(connection, QUEUES, page_size=3))[0] == newer


def test_events_received_at_the_same_moment_are_neither_skipped_nor_repeated(connection, post):
    posted = [post("ok" if number % 2 else "on_gpu", body_for(repo=f"org/{number}")) for number in range(5)]
    for queue in QUEUES:  # every event gets the same receive time
        for job_id in connection.zrange(events_key(queue), 0, -1):
            connection.zadd(events_key(queue), {job_id: 1_700_000_000.5})
    seen: list[str] = []
    start, firsts = None, []
    while True:
        page = events_page(connection, QUEUES, start, page_size=2)
        seen += ids(page)
        firsts.append(page.first)
        start = page.next
        if start is None:
            break
    assert sorted(seen) == sorted(posted) and len(seen) == 5
    assert seen == sorted(posted, reverse=True)  # equal times ordered by id, as Redis orders them
    assert firsts == [1, 3, 5]


def test_a_cursor_survives_a_round_trip_through_the_page_state():
    cursor = Cursor(1_700_000_000.123456, "abc")
    assert Cursor.from_state(cursor.as_state()) == cursor
    assert Cursor.from_state(None) is None and Cursor.from_state(["x", 1]) is None


def test_an_empty_index_is_one_empty_page(connection):
    page = events_page(connection, QUEUES)
    assert (page.rows, page.first, page.total, page.next) == ([], 0, 0, None)


def test_an_event_whose_job_is_gone_is_listed_as_expired(connection, post):
    job_id = post("ok")
    connection.delete(Job.key_for(job_id))
    (row,) = events_page(connection, QUEUES).rows
    assert (row.job_id, row.status, row.route, row.attempts) == (job_id, EXPIRED, None, 0)
    assert event_detail(connection, job_id) is None


def test_a_failed_event_shows_its_payload_traceback_and_outcome(connection, post, work):
    job_id = post("fails_once", body_for(repo="org/private-model"))
    work()
    detail = event_detail(connection, job_id)
    assert detail is not None
    assert (detail.status, detail.route, detail.runs, detail.queue) == (
        "failed",
        "/webhooks/fails_once",
        1,
        QUEUE,
    )
    assert json.loads(detail.payload)["repo"]["name"] == "org/private-model"
    assert "Traceback" in detail.traceback
    assert "fails_once failed on attempt 1 for org/private-model" in detail.traceback
    assert detail.result is None
    (outcome,) = detail.outcomes
    assert outcome.outcome == "failed" and outcome.worker
    assert outcome.error == "RuntimeError: fails_once failed on attempt 1 for org/private-model"


def test_a_finished_event_shows_its_result(connection, post, work):
    job_id = post("ok", body_for(repo="org/done"))
    work()
    detail = event_detail(connection, job_id)
    assert detail is not None
    assert (detail.status, detail.traceback, detail.progress) == ("finished", None, None)
    assert json.loads(detail.result) == {"repo": "org/done"}
    assert [outcome.outcome for outcome in detail.outcomes] == ["finished"]


def test_an_event_on_another_queue_shows_it(connection, post, work):
    job_id = post("on_gpu", body_for(repo="org/gpu"))
    work()
    detail = event_detail(connection, job_id)
    assert detail is not None
    assert (detail.queue, detail.status, json.loads(detail.result)) == (GPU, "finished", "trained on org/gpu")
