"""hubhooks: Hugging Face Hub webhooks answered at once, run by RQ workers.

The public API mirrors ``huggingface_hub``'s webhooks server: change the import, keep the app.
"""

from service.endpoint import webhook_endpoint
from service.event import EventMeta
from service.payload import (
    WebhookPayload,
    WebhookPayloadComment,
    WebhookPayloadDiscussion,
    WebhookPayloadDiscussionChanges,
    WebhookPayloadEvent,
    WebhookPayloadMovedTo,
    WebhookPayloadRepo,
    WebhookPayloadUpdatedRef,
    WebhookPayloadUrl,
    WebhookPayloadWebhook,
)
from service.server import WebhooksServer

__all__ = [
    "EventMeta",
    "WebhookPayload",
    "WebhookPayloadComment",
    "WebhookPayloadDiscussion",
    "WebhookPayloadDiscussionChanges",
    "WebhookPayloadEvent",
    "WebhookPayloadMovedTo",
    "WebhookPayloadRepo",
    "WebhookPayloadUpdatedRef",
    "WebhookPayloadUrl",
    "WebhookPayloadWebhook",
    "WebhooksServer",
    "webhook_endpoint",
]
