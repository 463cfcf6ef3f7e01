"""Through real processes: a ``hubhooks serve`` front end, ``hubhooks worker`` workers, a redis-server."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer

from tests.conftest import SECRET, load_payload, ran_events, wait_until

CONTENT_UPDATE = load_payload("repo-content-updated-refs.json")
HEADERS = {"X-Webhook-Secret": SECRET}


def post(url: str, body: object, headers: dict[str, str] | None = None, **kwargs: object) -> httpx.Response:
    content = body if isinstance(body, bytes | str) else json.dumps(body)
    return httpx.post(
        url, content=content, headers=HEADERS if headers is None else headers, timeout=10, **kwargs
    )


def test_sync_handler_runs_on_a_worker_after_a_202(redis_url, front_end, worker):
    server = front_end(redis_url)
    worker(redis_url)
    answer = post(server.url + "/webhooks/sync_handler", CONTENT_UPDATE)
    assert answer.status_code == 202
    body = answer.json()
    assert body["status"] == "accepted" and body["event_id"] and body["job_id"]
    ran = wait_until(lambda: ran_events(redis_url))
    assert ran[0]["handler"] == "sync"
    assert ran[0]["head_sha"] == CONTENT_UPDATE["repo"]["headSha"]
    assert ran[0]["event_id"] == body["event_id"]
    assert ran[0]["attempt"] == 1
    assert ran[0]["route"] == "/webhooks/sync_handler"
    job = Job.fetch(body["job_id"], connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    wait_until(lambda: job.get_status(refresh=True) == "finished")
    assert job.return_value() == {"head_sha": CONTENT_UPDATE["repo"]["headSha"], "gradio_imported": False}


def test_async_handler_runs_and_keeps_fields_the_model_does_not_declare(redis_url, front_end, worker):
    server = front_end(redis_url)
    worker(redis_url)
    payload = {**CONTENT_UPDATE, "updatedConfig": {"private": True}}
    answer = post(server.url + "/webhooks/nested/async", payload)
    assert answer.status_code == 202
    ran = wait_until(lambda: ran_events(redis_url))
    assert ran[0]["handler"] == "async"
    assert "updatedConfig" in ran[0]["extra"]


def test_every_shared_payload_reaches_a_handler(redis_url, front_end, worker):
    server = front_end(redis_url)
    worker(redis_url)
    names = ["discussion-create.json", "discussion-update-no-comment.json", "hub-docs-pr-opened.jsonc"]
    names.append("repo-content-updated-refs.json")
    for name in names:
        assert post(server.url + "/webhooks/sync_handler", load_payload(name)).status_code == 202
    ran = wait_until(lambda: len(ran_events(redis_url)) == len(names) and ran_events(redis_url))
    assert sorted(entry["repo"] for entry in ran) == sorted(
        load_payload(name)["repo"]["name"] for name in names
    )


def test_missing_secret_is_401_with_upstreams_body(redis_url, front_end):
    server = front_end(redis_url)
    answer = post(server.url + "/webhooks/sync_handler", CONTENT_UPDATE, headers={})
    assert answer.status_code == 401
    assert answer.json() == {"error": "x-webhook-secret header not set."}


def test_wrong_secret_is_403_even_with_a_malformed_body(redis_url, front_end):
    server = front_end(redis_url)
    for body in (CONTENT_UPDATE, "{not json", {"repo": 1}):
        answer = post(server.url + "/webhooks/sync_handler", body, headers={"X-Webhook-Secret": "nope"})
        assert answer.status_code == 403
        assert answer.json() == {"error": "Invalid webhook secret."}
    assert Redis.from_url(redis_url).llen("rq:queue:hubhooks") == 0


def test_secret_in_the_query_string_is_accepted(redis_url, front_end):
    server = front_end(redis_url)
    answer = post(server.url + f"/webhooks/sync_handler?secret={SECRET}", CONTENT_UPDATE, headers={})
    assert answer.status_code == 202


def test_oversize_body_is_413_whether_declared_or_streamed(redis_url, front_end):
    server = front_end(redis_url, env={"HUBHOOKS_MAX_BODY_BYTES": "4096"})
    big = {**CONTENT_UPDATE, "padding": "x" * 5000}
    assert post(server.url + "/webhooks/sync_handler", big).status_code == 413

    def chunks():
        yield json.dumps(big).encode()

    streamed = httpx.post(
        server.url + "/webhooks/sync_handler", content=chunks(), headers=HEADERS, timeout=10
    )
    assert streamed.status_code == 413
    assert "4096" in streamed.json()["error"]
    assert post(server.url + "/webhooks/sync_handler", CONTENT_UPDATE).status_code == 202


def test_malformed_or_invalid_payload_is_422_naming_the_fields(redis_url, front_end):
    server = front_end(redis_url)
    not_json = post(server.url + "/webhooks/sync_handler", "{not json")
    assert not_json.status_code == 422
    assert "not valid JSON" in not_json.json()["error"]
    missing = {key: value for key, value in CONTENT_UPDATE.items() if key != "repo"}
    missing["event"] = {"action": "update"}
    invalid = post(server.url + "/webhooks/sync_handler", missing)
    assert invalid.status_code == 422
    fields = {detail["field"] for detail in invalid.json()["details"]}
    assert fields == {"repo", "event.scope"}
    assert Redis.from_url(redis_url).llen("rq:queue:hubhooks") == 0


def test_newer_scope_action_and_repo_type_are_accepted(redis_url, front_end):
    server = front_end(redis_url)
    newer = json.loads(json.dumps(CONTENT_UPDATE))
    newer["event"] = {"action": "archive", "scope": "repo.config.dois"}
    newer["repo"]["type"] = "kernel"
    assert post(server.url + "/webhooks/sync_handler", newer).status_code == 202


def test_webhook_routes_take_post_only(redis_url, front_end):
    server = front_end(redis_url)
    for method in ("GET", "PUT", "DELETE"):
        answer = httpx.request(method, server.url + "/webhooks/sync_handler", headers=HEADERS, timeout=10)
        assert answer.status_code == 405
        assert answer.headers["allow"] == "POST"


def test_landing_page_and_api_docs_are_served(redis_url, front_end):
    server = front_end(redis_url)
    assert httpx.get(server.url + "/", timeout=10).status_code == 200
    schema = httpx.get(server.url + "/openapi.json", timeout=10).json()
    webhooks = {path for path in schema["paths"] if path.startswith("/webhooks/")}
    assert webhooks == {"/webhooks/sync_handler", "/webhooks/nested/async", "/webhooks/slow"}


def test_redis_outage_is_503_with_retry_after_and_recovers(own_redis, front_end, worker):
    server = front_end(own_redis.url)
    worker(own_redis.url)
    assert post(server.url + "/webhooks/sync_handler", CONTENT_UPDATE).status_code == 202
    wait_until(lambda: len(ran_events(own_redis.url)) == 1)
    own_redis.stop()
    down = post(server.url + "/webhooks/sync_handler", CONTENT_UPDATE)
    assert down.status_code == 503
    assert int(down.headers["retry-after"]) > 0
    assert "Redis" in down.json()["error"]
    own_redis.start()  # same port, empty data: the front end and the worker must reconnect by themselves
    wait_until(
        lambda: post(server.url + "/webhooks/sync_handler", CONTENT_UPDATE).status_code == 202, timeout=30
    )
    wait_until(lambda: len(ran_events(own_redis.url)) >= 1, timeout=60)


def test_a_slow_handler_does_not_delay_the_next_202(redis_url, front_end, worker):
    server = front_end(redis_url)
    worker(redis_url, env={"SLOW_SECONDS": "10"})
    assert post(server.url + "/webhooks/slow", CONTENT_UPDATE).status_code == 202
    wait_until(lambda: any(entry["handler"] == "slow-start" for entry in ran_events(redis_url)))
    started = time.monotonic()
    answer = post(server.url + "/webhooks/sync_handler", CONTENT_UPDATE)
    assert answer.status_code == 202
    assert time.monotonic() - started < 2.0
    assert not any(entry["handler"] == "slow-end" for entry in ran_events(redis_url))


@pytest.mark.timeout(60)
def test_worker_imports_the_app_without_starting_a_server_or_gradio(redis_url, front_end, worker):
    server = front_end(redis_url)
    post(server.url + "/webhooks/sync_handler", CONTENT_UPDATE)
    process = worker(redis_url, "tests/apps/recording_app.py", "--burst")
    assert process.popen.wait(timeout=45) == 0, process.output()
    assert len(ran_events(redis_url)) == 1
    output = process.output()
    assert "Webhooks are correctly setup" not in output
    assert "Uvicorn running" not in output


def test_health_reports_redis_and_live_workers(own_redis, front_end, worker):
    server = front_end(own_redis.url)
    assert httpx.get(server.url + "/health/live", timeout=10).json() == {"status": "ok"}
    ready = httpx.get(server.url + "/health/ready", timeout=10)
    assert ready.status_code == 200 and ready.json()["workers"] == 0
    worker(own_redis.url)
    wait_until(lambda: httpx.get(server.url + "/health/ready", timeout=10).json()["workers"] == 1)
    own_redis.stop()
    down = httpx.get(server.url + "/health/ready", timeout=10)
    assert down.status_code == 503 and down.json()["redis"] is False
