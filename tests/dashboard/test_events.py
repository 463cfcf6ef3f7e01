"""The events view: pages newest first, one event in detail, and events per minute by outcome."""

from __future__ import annotations

import json

from rq.job import Job

from service.dashboard.events import EXPIRED, event_detail, events_page
from tests.dashboard.conftest import QUEUE, body_for


def test_a_page_lists_events_newest_first_with_what_the_table_shows(connection, post, work):
    first = post("ok", body_for(repo="org/first"))
    second = post("fails_once", body_for(repo="org/second", action="create"))
    work()
    page = events_page(connection, QUEUE, 0, page_size=10)
    assert [row.job_id for row in page.rows] == [second, first]
    newest = page.rows[0]
    assert (newest.route, newest.repo, newest.scope, newest.action) == (
        "/webhooks/fails_once",
        "org/second",
        "repo.content",
        "create",
    )
    assert (newest.status, newest.attempts) == ("failed", 1)
    assert newest.duration_seconds is not None and newest.duration_seconds < 5
    assert page.rows[1].status == "finished"
    assert (page.total, page.pages) == (2, 1)


def test_pages_are_read_on_the_server_and_a_page_past_the_end_is_the_last(connection, post):
    ids = [post("ok", body_for(repo=f"org/repo-{number}")) for number in range(5)]
    first = events_page(connection, QUEUE, 0, page_size=2)
    second = events_page(connection, QUEUE, 1, page_size=2)
    past = events_page(connection, QUEUE, 9, page_size=2)
    assert [row.job_id for row in first.rows] == ids[::-1][:2]
    assert [row.job_id for row in second.rows] == ids[::-1][2:4]
    assert (past.page, [row.job_id for row in past.rows]) == (2, ids[:1])
    assert first.pages == 3


def test_an_empty_index_is_one_empty_page(connection):
    page = events_page(connection, QUEUE, 3)
    assert (page.rows, page.page, page.total, page.pages) == ([], 0, 0, 1)


def test_an_event_whose_job_is_gone_is_listed_as_expired(connection, post):
    job_id = post("ok")
    connection.delete(Job.key_for(job_id))
    (row,) = events_page(connection, QUEUE, 0).rows
    assert (row.job_id, row.status, row.route, row.attempts) == (job_id, EXPIRED, None, 0)
    assert event_detail(connection, job_id) is None


def test_a_failed_event_shows_its_payload_traceback_and_outcome(connection, post, work):
    job_id = post("fails_once", body_for(repo="org/private-model"))
    work()
    detail = event_detail(connection, job_id)
    assert detail is not None
    assert (detail.status, detail.route, detail.runs) == ("failed", "/webhooks/fails_once", 1)
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
    assert (detail.status, detail.traceback) == ("finished", None)
    assert json.loads(detail.result) == {"repo": "org/done"}
    assert [outcome.outcome for outcome in detail.outcomes] == ["finished"]
