"""Lane keys and their keyword arguments (service/lanes.py), without Redis."""

from __future__ import annotations

import pytest

from service import WebhookPayload, WebhooksServer
from service.lanes import DEFAULT_MAX_DELAY, Lane, lane_from_keywords
from service.policy import DeliveryPolicy
from tests.conftest import load_payload

CONTENT = WebhookPayload.model_validate(load_payload("repo-content-updated-refs.json"))
DISCUSSION = WebhookPayload.model_validate(load_payload("discussion-create.json"))


def test_the_repo_key_is_its_type_and_name_so_a_model_and_a_dataset_never_share_a_lane():
    lane = Lane("serial", ("repo",))
    assert lane.key_of(CONTENT) == f"{CONTENT.repo.type}/{CONTENT.repo.name}"
    dataset = CONTENT.model_copy(update={"repo": CONTENT.repo.model_copy(update={"type": "dataset"})})
    assert lane.key_of(dataset) != lane.key_of(CONTENT)


def test_dotted_paths_reach_nested_fields_list_items_and_undeclared_keys():
    assert Lane("serial", ("updatedRefs.0.ref",)).key_of(CONTENT) == CONTENT.updatedRefs[0].ref
    assert Lane("serial", ("discussion.num",)).key_of(DISCUSSION) == str(DISCUSSION.discussion.num)
    extra = WebhookPayload.model_validate(
        {**load_payload("repo-content-updated-refs.json"), "run": {"id": 7}}
    )
    assert Lane("serial", ("run.id",)).key_of(extra) == "7"


def test_a_missing_field_is_an_empty_part_and_parts_are_joined():
    lane = Lane("serial", ("repo", "discussion.num"))
    assert lane.key_of(CONTENT) == f"{CONTENT.repo.type}/{CONTENT.repo.name}|"


def test_keywords_build_the_lane_with_defaults():
    lane = lane_from_keywords(coalesce=True, quiet_period=5)
    assert lane == Lane("coalesce", ("repo",), 5, DEFAULT_MAX_DELAY)
    assert lane_from_keywords(serial=("repo", "updatedRefs.0.ref")) == Lane(
        "serial", ("repo", "updatedRefs.0.ref")
    )
    assert lane_from_keywords() is None


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"coalesce": True, "serial": True}, "not both"),
        ({"quiet_period": 5}, "apply to coalesce="),
        ({"coalesce": True, "quiet_period": 0}, "quiet_period must be positive"),
        ({"coalesce": True, "quiet_period": 60, "max_delay": 30}, "at most max_delay"),
        ({"serial": 3}, "got 3"),
    ],
)
def test_keywords_that_make_no_sense_are_refused_at_registration(keywords, message):
    app = WebhooksServer()
    with pytest.raises(ValueError, match=message):
        app.add_webhook("x", **keywords)(lambda payload: None)


def test_the_policy_keeps_the_lane_and_refuses_unknown_keywords():
    assert DeliveryPolicy.from_keywords(serial=True, retries=1).lane == Lane("serial", ("repo",))
    with pytest.raises(TypeError):
        DeliveryPolicy.from_keywords(colesce=True)
