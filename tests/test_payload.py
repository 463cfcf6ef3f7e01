"""The payload models against bodies the Hub really sends (../shared/payloads)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import ValidationError

from service.payload import WebhookPayload, WebhookPayloadEvent, WebhookPayloadRepo
from tests.conftest import PAYLOADS, ROOT

PAYLOAD_FILES = sorted(p.name for p in PAYLOADS.glob("*.json*"))
HEAD_SHA = "5e7f29fffcc579cb52539fddb14a1a4f85f39e44"


def load(name: str) -> dict[str, Any]:
    """A payload file as a dict; the `//` comment lines of .jsonc are stripped first."""
    text = (PAYLOADS / name).read_text()
    return json.loads("\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//")))


def test_the_copy_in_tests_matches_the_shared_payloads():
    kept = ROOT / "tests" / "payloads"
    assert sorted(p.name for p in kept.iterdir()) == PAYLOAD_FILES
    assert all((kept / name).read_bytes() == (PAYLOADS / name).read_bytes() for name in PAYLOAD_FILES)


def test_the_shared_payload_directory_holds_the_four_sample_bodies():
    assert PAYLOAD_FILES == [
        "discussion-create.json",
        "discussion-update-no-comment.json",
        "hub-docs-pr-opened.jsonc",
        "repo-content-updated-refs.json",
    ]


@pytest.mark.parametrize("name", PAYLOAD_FILES)
def test_every_sample_body_validates_into_webhook_payload(name):
    body = load(name)

    payload = WebhookPayload.model_validate(body)

    assert payload.event.action == body["event"]["action"]
    assert payload.event.scope == body["event"]["scope"]
    assert payload.repo.id == body["repo"]["id"]
    assert payload.webhook.id == body["webhook"]["id"]
    assert payload.webhook.version == 3


@pytest.mark.parametrize("name", PAYLOAD_FILES)
def test_every_sample_body_round_trips_through_model_dump(name):
    body = load(name)

    assert WebhookPayload.model_validate(body).model_dump(by_alias=True, exclude_unset=True) == body


def test_repo_head_sha_is_read_from_the_wire_camel_case_key():
    repo = WebhookPayload.model_validate(load("repo-content-updated-refs.json")).repo

    assert repo.headSha == HEAD_SHA


def test_repo_head_sha_snake_case_reads_the_same_value_as_upstream_code_expects():
    repo = WebhookPayload.model_validate(load("repo-content-updated-refs.json")).repo

    assert repo.head_sha == HEAD_SHA


def test_repo_content_event_exposes_its_repo_fields():
    payload = WebhookPayload.model_validate(load("repo-content-updated-refs.json"))

    assert payload.event.scope == "repo.content"
    assert payload.repo.type == "space"
    assert payload.repo.name == "Wauplin/gradio-user-history"
    assert payload.repo.subdomain == "wauplin-gradio-user-history"
    assert payload.repo.owner.id == "6273f303f6d63a28483fde12"
    assert payload.repo.url.api == "https://huggingface.co/api/spaces/Wauplin/gradio-user-history"
    assert payload.discussion is None
    assert payload.comment is None


def test_updated_refs_give_ref_old_sha_and_new_sha():
    (updated,) = WebhookPayload.model_validate(load("repo-content-updated-refs.json")).updatedRefs or []

    assert updated.ref == "refs/pr/5"
    assert updated.oldSha is None
    assert updated.newSha == "227c78346870a85e5de4fff8a585db68df975406"


def test_discussion_event_exposes_the_pull_request_fields():
    discussion = WebhookPayload.model_validate(load("discussion-create.json")).discussion

    assert discussion is not None
    assert discussion.isPullRequest is True
    assert discussion.num == 19
    assert discussion.status == "open"
    assert discussion.title == "Update co2 emissions"
    assert discussion.changes is not None
    assert discussion.changes.base == "refs/heads/main"
    assert discussion.changes.mergeCommitId is None


def test_comment_content_is_read_from_a_discussion_event():
    comment = WebhookPayload.model_validate(load("discussion-create.json")).comment

    assert comment is not None
    assert comment.content == "Add co2 emissions information to the model card"
    assert comment.hidden is False
    assert comment.url.api is None


def test_jsonc_sample_from_the_hub_docs_parses_once_comment_lines_are_stripped():
    payload = WebhookPayload.model_validate(load("hub-docs-pr-opened.jsonc"))

    assert payload.repo.name == "openai-community/gpt2"
    assert payload.comment is not None
    assert payload.comment.content == "Add co2 emissions information to the model card"


def test_discussion_update_without_comment_leaves_comment_none():
    payload = WebhookPayload.model_validate(load("discussion-update-no-comment.json"))

    assert payload.comment is None
    assert payload.discussion is not None
    assert payload.discussion.status == "closed"


def test_undeclared_key_is_kept_on_the_model():
    body = copy.deepcopy(load("repo-content-updated-refs.json"))
    body["event"]["scope"] = "repo.config"
    body["updatedConfig"] = {"private": True, "nested": {"list": [1, 2]}}

    payload = WebhookPayload.model_validate(body)

    assert payload.model_extra == {"updatedConfig": {"private": True, "nested": {"list": [1, 2]}}}


def test_undeclared_key_round_trips_through_model_dump():
    body = copy.deepcopy(load("repo-content-updated-refs.json"))
    body["updatedConfig"] = {"private": True}

    assert WebhookPayload.model_validate(body).model_dump(by_alias=True, exclude_unset=True) == body


def test_undeclared_key_inside_a_nested_part_round_trips():
    body = copy.deepcopy(load("discussion-create.json"))
    body["repo"]["futureField"] = "x"

    assert WebhookPayload.model_validate(body).model_dump(by_alias=True, exclude_unset=True) == body


def test_unknown_scope_is_accepted():
    body = copy.deepcopy(load("repo-content-updated-refs.json"))
    body["event"]["scope"] = "repo.config.dois"

    assert WebhookPayload.model_validate(body).event.scope == "repo.config.dois"


def test_unknown_action_is_accepted():
    body = copy.deepcopy(load("repo-content-updated-refs.json"))
    body["event"]["action"] = "archive"

    assert WebhookPayload.model_validate(body).event.action == "archive"


def test_unknown_repo_type_is_accepted():
    body = copy.deepcopy(load("repo-content-updated-refs.json"))
    body["repo"]["type"] = "kernel"

    assert WebhookPayload.model_validate(body).repo.type == "kernel"


def test_narrower_unknown_scope_is_in_the_broader_scope():
    assert WebhookPayloadEvent(action="update", scope="repo.config.dois").in_scope("repo.config")


def test_scope_is_in_itself():
    assert WebhookPayloadEvent(action="update", scope="repo.config").in_scope("repo.config")


def test_scope_sharing_only_a_prefix_is_not_in_scope():
    assert not WebhookPayloadEvent(action="update", scope="repository").in_scope("repo")


def test_broader_scope_is_not_in_a_narrower_one():
    assert not WebhookPayloadEvent(action="update", scope="repo").in_scope("repo.config")


def test_missing_required_repo_raises_validation_error_naming_it():
    body = copy.deepcopy(load("discussion-create.json"))
    del body["repo"]

    with pytest.raises(ValidationError) as caught:
        WebhookPayload.model_validate(body)

    assert [error["loc"] for error in caught.value.errors()] == [("repo",)]
    assert caught.value.errors()[0]["type"] == "missing"
    assert "repo" in str(caught.value)


def test_upstreams_head_sha_keyword_fills_headsha():
    repo = load("repo-content-updated-refs.json")["repo"]
    repo.pop("headSha")
    parsed = WebhookPayloadRepo(**repo, head_sha="abc")
    assert parsed.headSha == "abc" and parsed.head_sha == "abc"
