"""``/metrics``: protected like the dashboard, and its values move as events flow through a real
front end, redis-server and worker."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from service.job_stats import read_runs, record_run, recorded_run, runs_key
from service.metrics import FrontEndMetrics, _credential
from tests.conftest import SECRET, load_payload, ran_events, wait_until

APP = "tests/apps/mlops_app.py"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str, token: str | None = SECRET) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.get(f"{url}/metrics", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def body(repo: str = "acme/data", repo_type: str = "dataset") -> str:
    payload = load_payload("repo-content-updated-refs.json")
    payload["repo"]["name"] = repo
    payload["repo"]["type"] = repo_type
    return json.dumps(payload)


def post(url: str, route: str, text: str, secret: str | None = SECRET) -> int:
    headers = {"X-Webhook-Secret": secret} if secret else {}
    return httpx.post(f"{url}/webhooks/{route}", content=text, headers=headers, timeout=10).status_code


# Who may read them


def test_metrics_need_the_dashboard_password_as_a_bearer_token(redis_url, front_end):
    server = front_end(redis_url, app=APP, env={"HUBHOOKS_DASHBOARD_PASSWORD": "metrics-pass"})

    missing = httpx.get(f"{server.url}/metrics", timeout=10)
    wrong = httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    webhook_secret = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {SECRET}"})

    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401 and "Wrong credentials" in wrong.json()["error"]
    assert webhook_secret.status_code == 401  # the dashboard password, when set, is the one
    assert "hubhooks_events_total" not in missing.text + wrong.text
    assert value(scrape(server.url, "metrics-pass"), "hubhooks_redis_up") == 1
    basic = httpx.get(f"{server.url}/metrics", auth=("prometheus", "metrics-pass"), timeout=10)
    assert basic.status_code == 200


def test_without_a_password_or_secret_metrics_are_locked_unless_opened(redis_url, front_end):
    locked = front_end(redis_url, app=APP, env={"WEBHOOK_SECRET": ""})
    opened = front_end(redis_url, app=APP, env={"WEBHOOK_SECRET": "", "HUBHOOKS_DASHBOARD_OPEN": "1"})

    answer = httpx.get(f"{locked.url}/metrics", headers={"Authorization": "Bearer x"}, timeout=10)

    assert answer.status_code == 403 and "HUBHOOKS_DASHBOARD_PASSWORD" in answer.json()["error"]
    assert value(scrape(opened.url, token=None), "hubhooks_redis_up") == 1


@pytest.mark.parametrize(
    ("header", "credential"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic " + base64.b64encode(b"prometheus:p:w").decode(), "p:w"),
        ("Basic not-base64!", None),
        ("Token abc", None),
        (None, None),
    ],
)
def test_the_credential_is_read_from_a_bearer_or_basic_header(header, credential):
    assert _credential(header) == credential


# What the front end counts


def test_each_routes_answers_become_counters_and_an_ack_histogram():
    metrics = FrontEndMetrics(["/webhooks/a", "/webhooks/b"])
    tally = metrics.routes["/webhooks/a"]
    tally.add("accepted", 0.0004)
    tally.add("accepted", 0.003)
    tally.add("ignored", 0.002)
    tally.add("error", 7.0)

    def sample(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    a = {"route": "/webhooks/a"}
    assert sample("hubhooks_events_total", outcome="accepted", **a) == 2
    assert sample("hubhooks_events_total", outcome="ignored", **a) == 1
    assert sample("hubhooks_events_total", outcome="error", **a) == 1
    assert (
        sample("hubhooks_events_total", outcome="duplicate", route="/webhooks/b") == 0
    )  # there from the start
    assert sample("hubhooks_ack_seconds_bucket", le="0.0005", **a) == 1
    assert sample("hubhooks_ack_seconds_bucket", le="0.005", **a) == 3
    assert sample("hubhooks_ack_seconds_bucket", le="+Inf", **a) == 4
    assert sample("hubhooks_ack_seconds_sum", **a) == pytest.approx(7.0054)
    assert sample("hubhooks_events_total", outcome="accepted", route="/webhooks/unknown") is None


# What workers count


def test_runs_are_counted_per_route_and_outcome_with_a_duration_histogram(redis_url):
    redis = Redis.from_url(redis_url)

    record_run(redis, "q", "/webhooks/a", "succeeded", 0.2)
    record_run(redis, "q", "/webhooks/a", "failed", 40.0)
    record_run(redis, "q", "/webhooks/b:c", "timed_out", 9000.0)

    a, b = read_runs(redis, "q")
    assert a.route == "/webhooks/a" and a.outcomes == {"succeeded": 1, "failed": 1, "timed_out": 0}
    assert a.seconds == pytest.approx(40.2)
    cumulative = dict(a.cumulative_buckets)
    assert (cumulative[0.1], cumulative[0.5], cumulative[30.0], cumulative[60.0]) == (0, 1, 1, 2)
    assert b.route == "/webhooks/b:c" and dict(b.cumulative_buckets)[float("inf")] == 1


def test_a_run_outside_an_rq_job_records_nothing(redis_url):
    with recorded_run("/webhooks/a"):
        pass

    assert not Redis.from_url(redis_url).exists(runs_key("hubhooks"))


# As events flow


@pytest.mark.timeout(180)
def test_metrics_move_as_events_flow_through_front_end_queue_and_worker(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    before = scrape(server.url)
    assert value(before, "hubhooks_events_total", route="/webhooks/everything", outcome="accepted") == 0
    assert value(before, "hubhooks_queue_jobs", queue="hubhooks", state="queued") == 0

    # No worker yet: events wait in the queue.
    assert post(server.url, "everything", body(repo="a/one")) == 202
    assert post(server.url, "everything", body(repo="a/two")) == 202
    assert post(server.url, "datasets", body()) == 202
    assert post(server.url, "datasets", body()) == 200  # duplicate
    assert post(server.url, "datasets", body(repo_type="model")) == 200  # ignored
    assert post(server.url, "fails", body()) == 202
    assert post(server.url, "everything", body(), secret="wrong") == 403
    assert post(server.url, "everything", body(), secret=None) == 401
    assert post(server.url, "everything", "{not json") == 422
    waiting = scrape(server.url)

    def events(route: str, outcome: str) -> float:
        return value(waiting, "hubhooks_events_total", route=f"/webhooks/{route}", outcome=outcome)

    assert events("everything", "accepted") == 2
    assert [events("datasets", outcome) for outcome in ("accepted", "duplicate", "ignored")] == [1, 1, 1]
    assert (events("everything", "invalid_secret"), events("everything", "missing_secret")) == (1, 1)
    assert events("everything", "invalid_payload") == 1
    assert value(waiting, "hubhooks_ack_seconds_count", route="/webhooks/everything") == 5
    assert value(waiting, "hubhooks_queue_jobs", queue="hubhooks", state="queued") == 4
    assert value(waiting, "hubhooks_queue_oldest_event_age_seconds", queue="hubhooks") > 0
    assert value(waiting, "hubhooks_workers", queue="hubhooks", state="idle") == 0

    worker(redis_url, APP)
    wait_until(lambda: len(ran_events(redis_url)) == 4, timeout=60)
    done = wait_until(lambda: _settled(server.url), timeout=60)
    assert isinstance(done, dict)

    def runs(route: str, outcome: str) -> float:
        labels = {"queue": "hubhooks", "route": f"/webhooks/{route}", "outcome": outcome}
        return value(done, "hubhooks_job_runs_total", **labels)

    assert [runs("everything", "succeeded"), runs("datasets", "succeeded")] == [2, 1]
    assert runs("fails", "failed") == 1
    assert runs("fails", "succeeded") == 0
    timed = value(done, "hubhooks_job_duration_seconds_count", queue="hubhooks", route="/webhooks/everything")
    assert timed == 2
    assert value(done, "hubhooks_queue_jobs", queue="hubhooks", state="queued") == 0
    assert value(done, "hubhooks_queue_jobs", queue="hubhooks", state="failed") == 1
    assert value(done, "hubhooks_queue_jobs", queue="hubhooks", state="finished") == 3
    assert value(done, "hubhooks_queue_oldest_event_age_seconds", queue="hubhooks") == 0
    live = sum(value(done, "hubhooks_workers", queue="hubhooks", state=s) for s in ("idle", "busy"))
    assert live == 1


def _settled(url: str) -> Samples | None:
    """A scrape once the worker has finished every job (its registries are written last)."""
    samples = scrape(url)
    finished = value(samples, "hubhooks_queue_jobs", queue="hubhooks", state="finished")
    failed = value(samples, "hubhooks_queue_jobs", queue="hubhooks", state="failed")
    return samples if (finished, failed) == (3, 1) else None


def test_redis_down_shows_as_redis_up_0_and_the_front_ends_counters_stay(own_redis, front_end):
    server = front_end(own_redis.url, app=APP)
    assert post(server.url, "everything", body()) == 202

    own_redis.stop()
    samples = scrape(server.url)

    assert value(samples, "hubhooks_redis_up") == 0
    assert value(samples, "hubhooks_events_total", route="/webhooks/everything", outcome="accepted") == 1
    assert not any(name == "hubhooks_queue_jobs" for name, _ in samples)
