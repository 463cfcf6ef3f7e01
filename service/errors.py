"""The exceptions hubhooks raises, under one base.

    HubhooksError
    ├── HandlerSignatureError   (also a TypeError)  a handler asks for what a worker cannot give
    ├── RouteConflictError      (also a ValueError) two handlers on one route
    ├── AppLoadError                                APP names no importable app, or no server in it
    ├── RedisCheckError                             the Redis of REDIS_URL cannot serve us (at start)
    └── DeliveryError                               a webhook call that gets no 202 (carries the status)
        ├── MissingSecretError       401             no secret in the header or the query
        ├── InvalidSecretError       403             a secret that does not match
        ├── PayloadTooLargeError     413             a body over the configured limit
        ├── InvalidPayloadError      422             not JSON, or not a valid payload for the handler
        └── QueueUnavailableError    503             Redis refused or lost the write of the event

The HTTP answers for them are mapped in one place, :mod:`service.frontend`.
"""

from __future__ import annotations


class HubhooksError(Exception):
    """Base of every error hubhooks raises on purpose."""


class HandlerSignatureError(HubhooksError, TypeError):
    """A handler's parameters cannot be filled by a worker."""


class RouteConflictError(HubhooksError, ValueError):
    """A route is registered twice."""


class AppLoadError(HubhooksError):
    """The APP given to the CLI cannot be imported or holds no webhooks server."""


class RedisCheckError(HubhooksError):
    """At start: Redis is unreachable, too old, or lacks a command we need. The message names
    the URL without its password and says what to change."""


class DeliveryError(HubhooksError):
    """A webhook call answered with an error; ``status_code`` is its HTTP status."""

    status_code = 400

    def __init__(self, message: str, details: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class MissingSecretError(DeliveryError):
    """The endpoint has a secret and the call sent none."""

    status_code = 401


class InvalidSecretError(DeliveryError):
    """The call sent a secret that is not the endpoint's."""

    status_code = 403


class PayloadTooLargeError(DeliveryError):
    """The body is larger than ``HUBHOOKS_MAX_BODY_BYTES``."""

    status_code = 413


class InvalidPayloadError(DeliveryError):
    """The body is not JSON, or not a valid payload for the handler's model."""

    status_code = 422


class QueueUnavailableError(DeliveryError):
    """Redis could not confirm the write of an event: the sender must retry later."""

    status_code = 503
