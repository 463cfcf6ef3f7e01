"""The per-minute plot's data, the one-round-trip window it reads, and reads shared by sessions."""

from __future__ import annotations

import time

from fakeredis import FakeRedis, FakeServer
from rq.job import Job

from service.dashboard import activity
from service.dashboard.activity import OUTCOMES, events_per_minute
from service.dashboard.events import EXPIRED, events_page
from service.dashboard.shared import SharedReads
from service.dashboard.window import newest_events
from service.enqueue import EventQueue, events_key
from tests.dashboard.conftest import APP, GPU, QUEUE, QUEUES, body_for


def test_events_per_minute_counts_each_outcome_over_the_last_hour(connection, post, work):
    post("ok")
    post("ok")
    post("fails_once")
    work()
    post("ok")  # still queued
    stale = post("ok")
    connection.zadd(events_key(QUEUE), {stale: time.time() - 2 * 3600})  # received two hours ago
    gone = post("ok")
    connection.delete(Job.key_for(gone))
    result = events_per_minute(connection, QUEUES)
    assert len(result.buckets) == 60 * len(OUTCOMES)
    assert len({minute for minute, _outcome, _count in result.buckets}) == 60
    totals = {outcome: sum(n for _m, o, n in result.buckets if o == outcome) for outcome in OUTCOMES}
    assert totals == {"finished": 2, "failed": 1, "in progress": 1, EXPIRED: 1}
    assert (result.read, result.total, result.partial) == (5, 5, False)
    newest_minute = max(minute for minute, _outcome, _count in result.buckets)
    assert time.time() // 60 * 60 - newest_minute.timestamp() in (0, 60)  # this minute (or the last)


def test_events_per_minute_cover_every_queue(connection, post, work):
    post("ok")
    post("on_gpu")
    post("on_gpu", body_for(repo="org/b", action="delete"))  # fails
    work()
    result = events_per_minute(connection, QUEUES)
    totals = {outcome: sum(n for _m, o, n in result.buckets if o == outcome) for outcome in OUTCOMES}
    assert (totals["finished"], totals["failed"]) == (2, 1)
    assert (result.read, result.total) == (3, 3)


def test_the_window_merges_the_queues_newest_first_up_to_the_limit(connection, post):
    post("ok")
    post("on_gpu")
    post("ok")
    entries = newest_events(connection, QUEUES, ("status",), limit=2)
    assert [entry.queue for entry in entries] == [QUEUE, GPU]  # the first event is left out
    assert entries[0].received >= entries[1].received
    assert len(newest_events(connection, QUEUES, ("status",), limit=10)) == 3


def test_a_flood_is_read_up_to_the_limit_and_says_so(connection, post, monkeypatch):
    monkeypatch.setattr(activity, "PLOT_LIMIT", 2)
    for number in range(3):
        post("ok", body_for(repo=f"org/{number}"))
    result = events_per_minute(connection, QUEUES)
    assert sum(count for _m, _o, count in result.buckets) == 2
    assert (result.read, result.total, result.partial) == (2, 3, True)


def test_the_window_reads_fields_of_the_newest_events_in_one_script(connection, post):
    first = post("ok")
    post("fails_once")
    connection.hdel(Job.key_for(first), "meta")
    entries = newest_events(connection, [QUEUE], ("status", "meta"), limit=10)
    assert [entry.fields[0] for entry in entries] == [b"queued", b"queued"]
    assert entries[0].fields[1] is not None and entries[1].fields[1] is None  # newest first
    assert entries[0].received >= entries[1].received
    assert len(newest_events(connection, [QUEUE], ("status",), limit=1)) == 1


def test_the_window_and_the_page_work_on_the_embedded_in_memory_redis(handlers):
    embedded = FakeRedis(server=FakeServer())
    queue = EventQueue(embedded, QUEUE, APP, job_timeout=60)
    queue.enqueue(handlers["/webhooks/ok"], body_for())
    (entry,) = newest_events(embedded, [QUEUE], ("status",), limit=10)
    assert entry.fields == [b"queued"]
    assert events_per_minute(embedded, [QUEUE]).read == 1
    page = events_page(embedded, [QUEUE, "gpu"])  # the page script runs on the in-memory Redis too
    assert ([row.status for row in page.rows], page.total) == (["queued"], 1)


def test_shared_reads_are_read_once_for_a_moment_and_again_after_a_clear():
    reads = []
    shared = SharedReads(seconds=60)
    assert shared.get("counts", lambda: reads.append(1) or len(reads)) == 1
    assert shared.get("counts", lambda: reads.append(1) or len(reads)) == 1
    shared.clear()
    assert shared.get("counts", lambda: reads.append(1) or len(reads)) == 2
    expiring = SharedReads(seconds=0)
    assert expiring.get("x", lambda: 1) == 1 and expiring.get("x", lambda: 2) == 2
