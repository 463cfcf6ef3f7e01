"""The landing page's "Send a test event" forms, called through Gradio's public API (as any visitor
could) on a real front end, redis-server and worker."""

from __future__ import annotations

import httpx
from redis import Redis

from service.handler import Handler
from service.send_form import _defaults
from tests.conftest import SECRET, ran_events, wait_until
from tests.dashboard.test_front_end import call

APP = "tests/apps/mlops_app.py"


def send(url: str, route: str, secret: str, repo_type: str = "dataset", repo: str = "acme/form") -> dict:
    event, outputs = call(
        url, f"send_test_event_{route}", ["repo.content", "the scope's usual", repo_type, repo, secret]
    )
    assert event == "complete", outputs
    [answer] = outputs
    return answer


def test_the_form_with_the_secret_queues_an_event_and_the_handler_runs(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)

    answer = send(server.url, "datasets", SECRET)

    assert answer["http_status"] == 202 and answer["answer"]["status"] == "accepted", answer
    assert answer["sent"]["repo"]["name"] == "acme/form"
    [ran] = wait_until(lambda: ran_events(redis_url))
    assert (ran["handler"], ran["repo"]) == ("datasets", "acme/form")
    assert ran["event_id"] == answer["answer"]["event_id"]


def test_without_the_secret_the_form_is_refused_by_the_route_and_nothing_is_queued(redis_url, front_end):
    server = front_end(redis_url, app=APP)
    redis = Redis.from_url(redis_url)
    before = set(redis.keys("*"))

    missing = send(server.url, "everything", "")
    wrong = send(server.url, "everything", "not-the-secret")

    assert (missing["http_status"], missing["answer"]) == (401, {"error": "x-webhook-secret header not set."})
    assert (wrong["http_status"], wrong["answer"]) == (403, {"error": "Invalid webhook secret."})
    assert set(redis.keys("*")) == before


def test_the_form_goes_through_the_routes_filters_and_reports_bad_options(redis_url, front_end):
    server = front_end(redis_url, app=APP)

    ignored = send(server.url, "datasets", SECRET, repo_type="model")
    bad = send(server.url, "datasets", SECRET, repo="not a repo")

    assert ignored["http_status"] == 200 and ignored["answer"]["status"] == "ignored"
    assert bad == {"error": "repo must be a repo name such as 'user/model'; got 'not a repo'."}


def test_each_route_has_a_form_whose_defaults_pass_its_filter(redis_url, front_end):
    server = front_end(redis_url, app=APP)
    config = httpx.get(server.url + "/config", timeout=10).json()

    accordions = [c["props"].get("label") for c in config["components"] if c["type"] == "accordion"]
    labels = [label for label in accordions if label.startswith("Send a test event")]  # not the dashboard's
    routes = ("datasets", "everything", "fails")
    assert labels == [f"Send a test event to POST /webhooks/{name}" for name in routes]
    assert "Send a test event" in str([c["props"].get("value") for c in config["components"]])


def test_form_defaults_come_from_the_routes_filter():
    from tests.apps import mlops_app

    datasets = mlops_app.app.handlers["/webhooks/datasets"]
    assert isinstance(datasets, Handler)

    assert _defaults(datasets.event_filter) == ("repo.content", "acme/test", "dataset", "the scope's usual")
    assert _defaults(None) == ("repo.content", "user/model", "model", "the scope's usual")
