"""Lanes through real processes: a coalesced burst runs once with its newest payload; serial
events of one repo run in order, one at a time, while another repo's run beside them."""

from __future__ import annotations

import itertools
import json
import time

import httpx
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer

from service.dashboard.events import event_detail, events_page
from service.enqueue import events_key
from tests.conftest import SECRET, load_payload, wait_until

APP = "tests/apps/lanes_app.py"
BASE = load_payload("repo-content-updated-refs.json")


def send(server, route: str, repo: str, number: int) -> dict:
    body = json.loads(json.dumps(BASE))
    body["repo"]["name"] = repo
    body["number"] = number
    answer = httpx.post(
        f"{server.url}/webhooks/{route}", json=body, headers={"X-Webhook-Secret": SECRET}, timeout=10
    )
    assert answer.status_code == 202, answer.text
    return answer.json()


def runs(redis_url: str, kind: str) -> list[dict]:
    entries = [json.loads(item) for item in Redis.from_url(redis_url).lrange("test:lanes", 0, -1)]
    return [entry for entry in entries if entry["kind"] == kind]


def test_a_burst_of_ten_events_runs_once_with_the_newest_payload(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)
    accepted = [send(server, "train", "user/dataset", number) for number in range(10)]
    other = send(server, "train", "user/other", 0)  # another repo: a lane of its own
    wait_until(lambda: len(runs(redis_url, "train")) == 2, timeout=30)
    time.sleep(3)  # a superseded event must not run late either
    ran = runs(redis_url, "train")
    assert sorted((run["repo"], run["number"]) for run in ran) == [("user/dataset", 9), ("user/other", 0)]
    connection = Redis.from_url(redis_url)
    jobs = [Job.fetch(a["job_id"], connection=connection, serializer=JSONSerializer) for a in accepted]
    assert [job.get_status() for job in jobs] == ["canceled"] * 9 + ["finished"]
    chain = [connection.hget(job.key, "superseded_by") for job in jobs[:-1]]
    assert chain == [job.id.encode() for job in jobs[1:]]  # each names the event that replaced it
    assert jobs[-1].return_value() == 9
    indexed = {job_id.decode() for job_id in connection.zrange(events_key("hubhooks"), 0, -1)}
    assert {a["job_id"] for a in [*accepted, other]} <= indexed  # superseded events stay visible
    shown = {row.job_id: row.status for row in events_page(connection, ["hubhooks"]).rows}
    assert [shown[a["job_id"]] for a in accepted] == ["superseded"] * 9 + ["finished"]
    detail = event_detail(connection, accepted[0]["job_id"])
    assert detail.status == "superseded" and detail.superseded_by == accepted[1]["job_id"]


def test_serial_events_keep_their_order_per_repo_while_repos_run_side_by_side(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)
    worker(redis_url, APP)
    for number in range(5):
        send(server, "evaluate", "user/a", number)
        send(server, "evaluate", "user/b", number)
    wait_until(lambda: len(runs(redis_url, "evaluate")) == 10, timeout=60)
    ran = runs(redis_url, "evaluate")
    for repo in ("user/a", "user/b"):
        mine = sorted((run for run in ran if run["repo"] == repo), key=lambda run: run["start"])
        assert [run["number"] for run in mine] == [0, 1, 2, 3, 4]
        for earlier, later in itertools.pairwise(mine):
            assert earlier["end"] <= later["start"]  # one at a time
    a = [run for run in ran if run["repo"] == "user/a"]
    b = [run for run in ran if run["repo"] == "user/b"]
    side_by_side = sum(1 for x in a for y in b if x["start"] < y["end"] and y["start"] < x["end"])
    assert side_by_side >= 3  # the two repos progressed at once on the two workers


def test_a_failed_run_does_not_block_the_next_event_of_its_repo(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP, env={"EVALUATE_SECONDS": "0"})
    first = send(server, "flaky", "user/a", 0)
    second = send(server, "flaky", "user/a", 1)
    wait_until(lambda: len(runs(redis_url, "flaky")) == 2, timeout=30)
    connection = Redis.from_url(redis_url)
    assert (
        Job.fetch(first["job_id"], connection=connection, serializer=JSONSerializer).get_status() == "failed"
    )
    wait_until(
        lambda: (
            Job.fetch(second["job_id"], connection=connection, serializer=JSONSerializer).get_status()
            == "finished"
        )
    )
    assert [run["number"] for run in runs(redis_url, "flaky")] == [0, 1]


def test_deleting_the_job_a_serial_event_waits_for_releases_it(redis_url):
    from service import jobs
    from service.enqueue import EventQueue
    from service.loader import load_app

    connection = Redis.from_url(redis_url)
    queue = EventQueue(connection, "hubhooks", APP, job_timeout=60)
    evaluate = load_app(APP).server.handlers["/webhooks/evaluate"]
    first = queue.enqueue(evaluate, json.dumps({**BASE, "number": 0})).meta.job_id
    second = queue.enqueue(evaluate, json.dumps({**BASE, "number": 1})).meta.job_id
    waiting = Job.fetch(second, connection=connection, serializer=JSONSerializer)
    assert waiting.get_status() == "deferred" and waiting.dependency_ids == [first]
    jobs.delete_job(connection, first)
    assert waiting.get_status(refresh=True) == "queued"
    assert connection.lrange("rq:queue:hubhooks", 0, -1) == [second.encode()]
    assert connection.zcard("rq:deferred:hubhooks") == 0
