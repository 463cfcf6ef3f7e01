"""Filters before the queue: validated at registration, applied after the secret and the payload
checks, and an ignored event never reaches Redis."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from pydantic import BaseModel
from redis import Redis

from service import WebhookPayload, WebhooksServer
from service.filters import EventFilter
from tests.conftest import SECRET, load_payload, ran_events, wait_until

APP = "tests/apps/mlops_app.py"
CONTENT = load_payload("repo-content-updated-refs.json")  # a space, Wauplin/gradio-user-history


def body(scope: str = "repo.content", repo: str = "acme/data", repo_type: str = "dataset") -> str:
    payload = json.loads(json.dumps(CONTENT))
    payload["event"]["scope"] = scope
    payload["repo"]["name"] = repo
    payload["repo"]["type"] = repo_type
    return json.dumps(payload)


def parse(text: str) -> WebhookPayload:
    return WebhookPayload.model_validate_json(text)


def handler(payload: WebhookPayload) -> None: ...


# Matching


def test_a_scope_filter_takes_the_scope_and_the_narrower_scopes_below_it():
    only_config = EventFilter.from_keywords(scope="repo.config")
    assert only_config is not None

    assert only_config.reason_to_ignore(parse(body(scope="repo.config"))) is None
    assert only_config.reason_to_ignore(parse(body(scope="repo.config.dois"))) is None
    assert only_config.reason_to_ignore(parse(body(scope="repo.content"))) == (
        "scope 'repo.content' is not in 'repo.config'"
    )
    assert only_config.reason_to_ignore(parse(body(scope="repo.configuration"))) is not None


def test_a_list_of_values_takes_any_of_them():
    either = EventFilter.from_keywords(repo_type=["model", "dataset"])
    assert either is not None

    assert either.reason_to_ignore(parse(body(repo_type="model"))) is None
    assert either.reason_to_ignore(parse(body(repo_type="dataset"))) is None
    assert either.reason_to_ignore(parse(body(repo_type="space"))) == (
        "repo type 'space' is not any of 'model', 'dataset'"
    )


def test_a_repo_glob_matches_the_whole_name():
    acme = EventFilter.from_keywords(repo="acme/*")
    assert acme is not None

    assert acme.reason_to_ignore(parse(body(repo="acme/llama-7b"))) is None
    assert acme.reason_to_ignore(parse(body(repo="notacme/llama"))) == (
        "repo 'notacme/llama' does not match 'acme/*'"
    )


def test_every_given_keyword_must_match():
    both = EventFilter.from_keywords(action="update", repo="acme/*")
    assert both is not None
    created = json.loads(body())
    created["event"]["action"] = "create"

    assert both.reason_to_ignore(parse(body())) is None
    assert both.reason_to_ignore(parse(json.dumps(created))) == "action 'create' is not 'update'"


def test_no_keyword_means_no_filter():
    assert EventFilter.from_keywords() is None


# Validation at registration


@pytest.mark.parametrize(
    ("keywords", "quoted"),
    [
        ({"scope": "repo-content"}, "'repo-content'"),
        ({"scope": "repos"}, "'repos'"),
        ({"action": "updated"}, "'updated'"),
        ({"repo_type": "models"}, "'models'"),
        ({"repo": ""}, "''"),
        ({"repo": "acme/ model"}, "'acme/ model'"),
        ({"scope": []}, "[]"),
        ({"repo_type": 3}, "3"),
    ],
)
def test_add_webhook_refuses_a_bad_filter_value_quoting_it(keywords, quoted):
    app = WebhooksServer()

    with pytest.raises(ValueError, match=f"{next(iter(keywords))}=.*got {re.escape(quoted)}"):
        app.add_webhook("x", **keywords)

    assert app.handlers == {}


def test_filters_and_delivery_policy_keywords_mix():
    app = WebhooksServer()

    app.add_webhook("train", scope="repo.content", retries=1)(handler)

    registered = app.handlers["/webhooks/train"]
    assert registered.policy.retries == 1
    assert registered.event_filter == EventFilter(scopes=("repo.content",))


class OnlyRepo(BaseModel):
    repo: dict


def takes_only_repo(payload: OnlyRepo) -> None: ...


def test_a_filter_on_a_model_without_the_fields_it_reads_is_refused():
    app = WebhooksServer()
    with pytest.raises(ValueError, match="OnlyRepo has no event field"):
        app.add_webhook("x", scope="repo")(takes_only_repo)
    app.add_webhook("y", repo="acme/*")(takes_only_repo)  # it has a repo: fine


# Through a real front end and a real redis-server


def post(url: str, route: str, text: str, secret: str | None = SECRET) -> httpx.Response:
    headers = {"X-Webhook-Secret": secret} if secret else {}
    return httpx.post(f"{url}/webhooks/{route}", content=text, headers=headers, timeout=10)


def test_an_ignored_event_is_answered_200_and_leaves_nothing_in_redis(redis_url, front_end):
    server = front_end(redis_url, app=APP)
    redis = Redis.from_url(redis_url)
    redis.flushall()

    answers = [
        post(server.url, "datasets", body(repo_type="model")),
        post(server.url, "datasets", body(repo="other/data")),
        post(server.url, "datasets", body(scope="discussion")),
    ]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json() == {"status": "ignored", "reason": "repo type 'model' is not 'dataset'"}
    assert answers[1].json()["reason"] == "repo 'other/data' does not match any of 'acme/*', 'org/exact'"
    assert redis.keys("*") == []


def test_a_matching_event_is_queued_and_its_handler_runs(redis_url, front_end, worker):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)

    answer = post(server.url, "datasets", body(scope="repo.content.lfs", repo="org/exact"))

    assert answer.status_code == 202, answer.text
    ran = wait_until(lambda: ran_events(redis_url))
    assert [(e["handler"], e["repo"], e["scope"]) for e in ran] == [
        ("datasets", "org/exact", "repo.content.lfs")
    ]


def test_an_event_the_filter_would_ignore_still_needs_the_secret_and_a_valid_payload(redis_url, front_end):
    server = front_end(redis_url, app=APP)
    ignored_body = body(repo_type="model")

    assert post(server.url, "datasets", ignored_body, secret=None).status_code == 401
    assert post(server.url, "datasets", ignored_body, secret="wrong").status_code == 403
    broken = json.loads(ignored_body)
    del broken["repo"]["name"]
    assert post(server.url, "datasets", json.dumps(broken)).status_code == 422
    assert Redis.from_url(redis_url).keys("*") == []
