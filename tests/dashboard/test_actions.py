"""The dashboard's actions, which are :mod:`service.jobs` functions shared with the CLI."""

from __future__ import annotations

import json

import pytest
from rq.job import Job
from rq.results import Result

from service import cli, jobs
from service.dashboard.events import event_detail, events_page
from service.enqueue import events_key
from tests.dashboard.conftest import APP, GPU, QUEUE, QUEUES, body_for


def status(connection, job_id: str) -> str:
    return jobs.fetch_job(connection, job_id).get_status(refresh=True).value


def test_a_requeued_failed_job_runs_again_and_finishes(connection, post, work):
    job_id = post("fails_once")
    work()
    assert jobs.requeue_jobs(connection, [job_id]) == [job_id]
    assert status(connection, job_id) == "queued"
    work()
    detail = event_detail(connection, job_id)
    assert (detail.status, detail.runs) == ("finished", 2)
    assert [outcome.outcome for outcome in detail.outcomes] == ["failed", "finished"]
    assert json.loads(detail.result) == "ok on attempt 2"


def test_requeueing_a_job_that_is_not_failed_or_does_not_exist_names_it(connection, post, work):
    job_id = post("ok")
    work()
    with pytest.raises(LookupError, match=f"{job_id!r} is not in the failed registry of 'hubhooks'"):
        jobs.requeue_jobs(connection, [job_id])
    with pytest.raises(LookupError, match="'nope' is not in the failed registry: it does not exist"):
        jobs.requeue_jobs(connection, ["nope"])


def test_a_failed_job_of_another_queue_is_requeued_onto_its_own_queue(connection, post, work):
    job_id = post("on_gpu", body_for(action="delete"))  # on_gpu fails on deletions
    work()
    assert jobs.failed_job_ids(connection, GPU) == [job_id]
    assert jobs.requeue_jobs(connection, [job_id]) == [job_id]
    assert connection.lrange(jobs.queue_key(GPU), 0, -1) == [job_id.encode()]
    assert connection.llen(jobs.queue_key(QUEUE)) == 0
    assert jobs.failed_job_ids(connection, GPU) == []


def test_requeue_all_of_a_route_leaves_other_routes_failed(connection, post, work):
    once = [post("fails_once", body_for(repo=f"org/{number}")) for number in range(3)]
    other = post("always_fails")
    work()
    assert sorted(jobs.failed_job_ids(connection, QUEUE, route="/webhooks/fails_once")) == sorted(once)
    assert sorted(jobs.requeue_failed(connection, QUEUE, route="/webhooks/fails_once")) == sorted(once)
    assert jobs.failed_job_ids(connection, QUEUE) == [other]
    assert all(status(connection, job_id) == "queued" for job_id in once)


def test_a_replay_of_an_event_of_another_queue_goes_to_that_queue(
    connection, post, work, event_queue, handlers
):
    original = post("on_gpu", body_for(repo="org/gpu"))
    work()
    replayed = jobs.replay_event(event_queue, handlers, original)
    assert jobs.fetch_job(connection, replayed).origin == GPU
    assert connection.zscore(events_key(GPU), replayed) is not None


def test_a_replay_is_a_new_job_from_the_stored_body_even_within_the_dedup_window(
    connection, post, work, event_queue, handlers
):
    original = post("deduplicated", body_for(repo="org/replayed"))
    work()
    assert post("deduplicated", body_for(repo="org/replayed")) == original  # the window is open
    replayed = jobs.replay_event(event_queue, handlers, original)
    assert replayed != original
    new, old = jobs.fetch_job(connection, replayed), jobs.fetch_job(connection, original)
    assert new.args[1:3] == old.args[1:3]
    assert new.meta["event_id"] != old.meta["event_id"]
    assert events_page(connection, QUEUES).rows[0].job_id == replayed
    work()
    assert status(connection, replayed) == "finished"


def test_replaying_an_expired_event_or_a_route_gone_from_the_app_is_refused(
    connection, post, event_queue, handlers
):
    job_id = post("ok")
    connection.delete(Job.key_for(job_id))
    with pytest.raises(LookupError, match="does not exist"):
        jobs.replay_event(event_queue, handlers, job_id)
    job_id = post("ok")
    without_ok = {route: handler for route, handler in handlers.items() if route != "/webhooks/ok"}
    with pytest.raises(LookupError, match="no longer serves"):
        jobs.replay_event(event_queue, without_ok, job_id)


def test_deleting_a_job_removes_it_from_its_registry_and_the_events(connection, post, work):
    job_id = post("fails_once")
    kept = post("ok")
    work()
    assert connection.exists(Result.get_key(job_id))
    jobs.delete_job(connection, job_id)
    assert not connection.exists(Job.key_for(job_id))
    assert not connection.exists(Result.get_key(job_id))  # its traceback is gone too
    assert jobs.failed_job_ids(connection, QUEUE) == []
    assert connection.zscore(events_key(QUEUE), job_id) is None
    assert [row.job_id for row in events_page(connection, QUEUES).rows] == [kept]
    with pytest.raises(LookupError, match="does not exist"):
        jobs.delete_job(connection, job_id)


def test_deleting_a_job_of_another_queue_removes_it_from_that_queues_events(connection, post, work):
    job_id = post("on_gpu")
    work()
    jobs.delete_job(connection, job_id)
    assert connection.zscore(events_key(GPU), job_id) is None
    assert events_page(connection, QUEUES).rows == []


def test_a_queued_job_is_deleted_from_the_queue_and_a_running_one_is_refused(connection, post):
    queued = post("ok")
    jobs.delete_job(connection, queued)
    assert connection.llen(jobs.queue_key(QUEUE)) == 0
    running = post("ok")
    job = jobs.fetch_job(connection, running)
    job.set_status("started")
    with pytest.raises(ValueError, match="is running"):
        jobs.delete_job(connection, running)
    assert connection.exists(Job.key_for(running))


def test_the_cli_requeues_a_route_replays_and_deletes_with_the_same_functions(
    connection, post, work, redis_url, monkeypatch, capsys
):
    monkeypatch.setenv("REDIS_URL", redis_url)
    failed = post("fails_once")
    work()
    assert cli.main(["requeue", "--route", "/webhooks/fails_once"]) == 0
    assert f"requeued {failed}" in capsys.readouterr().out
    work()
    assert status(connection, failed) == "finished"

    assert cli.main(["replay", APP, failed]) == 0
    replayed = capsys.readouterr().out.split()[-1]
    assert jobs.fetch_job(connection, replayed).args[2] == jobs.fetch_job(connection, failed).args[2]

    assert cli.main(["delete", replayed]) == 0
    assert not connection.exists(Job.key_for(replayed))
    assert cli.main(["delete", replayed]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_job_requeued_twice_at_once_is_enqueued_once(connection, post, work):
    job_id = post("always_fails")
    work()
    with pytest.raises(LookupError, match=f"{job_id!r} is not in the failed registry of 'hubhooks'"):
        jobs.requeue_jobs(connection, [job_id, job_id])
    assert connection.lrange(jobs.queue_key(QUEUE), 0, -1) == [job_id.encode()]
    assert status(connection, job_id) == "queued"


def test_requeueing_more_failed_jobs_than_a_batch_moves_them_all(connection, post, work, monkeypatch):
    monkeypatch.setattr(jobs, "REQUEUE_BATCH", 2)
    failed = [post("always_fails", body_for(repo=f"org/{number}")) for number in range(5)]
    work()
    assert sorted(jobs.requeue_failed(connection, QUEUE)) == sorted(failed)
    assert sorted(connection.lrange(jobs.queue_key(QUEUE), 0, -1)) == sorted(job.encode() for job in failed)
    assert jobs.failed_job_ids(connection, QUEUE) == []
    work()
    assert all(status(connection, job_id) == "failed" for job_id in failed)  # they ran again
    assert all(jobs.fetch_job(connection, job_id).meta["attempt"] == 2 for job_id in failed)
