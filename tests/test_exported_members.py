"""The public API of ``service``: what users import, in a sorted ``__all__``."""

from __future__ import annotations

import pytest

import service

UPSTREAM_NAMES = [
    "WebhooksServer",
    "webhook_endpoint",
    "WebhookPayload",
    "WebhookPayloadEvent",
    "WebhookPayloadRepo",
    "WebhookPayloadDiscussion",
    "WebhookPayloadDiscussionChanges",
    "WebhookPayloadComment",
    "WebhookPayloadWebhook",
    "WebhookPayloadUrl",
    "WebhookPayloadMovedTo",
]


def test_all_is_sorted():
    assert service.__all__ == sorted(service.__all__)


def test_all_has_no_duplicates():
    assert len(service.__all__) == len(set(service.__all__))


@pytest.mark.parametrize("name", service.__all__)
def test_every_name_in_all_is_importable_from_service(name):
    namespace: dict[str, object] = {}
    exec(f"from service import {name}", namespace)

    assert namespace[name] is getattr(service, name)


@pytest.mark.parametrize("name", UPSTREAM_NAMES)
def test_all_includes_the_upstream_public_name(name):
    assert name in service.__all__
