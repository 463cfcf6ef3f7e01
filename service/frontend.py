"""The HTTP front end: one POST route per handler that checks, validates, enqueues and answers 202.

The order of checks on a webhook route is part of the contract:

1. the secret, before the body is read (401 missing, 403 wrong);
2. the body size, from ``Content-Length`` and while streaming (413);
3. the payload, parsed into the handler's model (422 naming the fields);
4. the endpoint's filters (:mod:`service.filters`): an event it does not take is answered 200
   ``{"status": "ignored"}`` and never written to Redis;
5. the write to Redis, confirmed before answering (202, or 503 with ``Retry-After``).

Each webhook route is a small ASGI app (:class:`WebhookRoute`) rather than a FastAPI path
operation, and :class:`WebhookDispatch` hands webhook requests to it before FastAPI's middleware
and router: this is the hot path, and FastAPI's per-request machinery (middleware, routing,
dependency solving, request and response objects) cost more than the check, the validation and
the Redis write together (``python -m bench.run`` measures both). Every other request (health,
docs, the UI) goes to the FastAPI app, where the webhook routes are declared too: a path the
dispatcher does not know exactly (a trailing slash, say) gets the same route from FastAPI.
Errors are :class:`~service.errors.DeliveryError`\\ s, turned into answers by one function,
:func:`error_answer`. Each POST's outcome and time to answer are counted for ``/metrics``
(:mod:`service.metrics`) by the route itself. The routes appear in ``/docs`` with their payload
schema (:mod:`service.openapi`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from fastapi import FastAPI
from pydantic import SecretStr, ValidationError
from starlette.routing import Route

from service.enqueue import EventQueue
from service.errors import (
    DeliveryError,
    InvalidPayloadError,
    PayloadTooLargeError,
    QueueUnavailableError,
)
from service.handler import Handler
from service.health import health_router
from service.metrics import REFUSAL_OUTCOMES, FrontEndMetrics, RouteTally
from service.openapi import document_webhooks
from service.payload import WebhookPayload
from service.security import check_secret

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_JSON = (b"content-type", b"application/json")


def create_api(
    handlers: Iterable[Handler],
    event_queue: EventQueue,
    secret: SecretStr | None,
    max_body_bytes: int,
    retry_after_seconds: int,
    metrics: FrontEndMetrics | None = None,
) -> FastAPI:
    """The FastAPI app with every webhook route declared; the UI is mounted on it afterwards.

    With ``metrics``, each webhook call's outcome and time to answer are counted there.
    """
    api = FastAPI(title="hubhooks", summary="Hugging Face Hub webhooks, queued.")
    api.include_router(health_router(event_queue))
    handlers = list(handlers)
    for handler in handlers:
        tally = metrics.routes.get(handler.route) if metrics is not None else None
        route = WebhookRoute(handler, event_queue, secret, max_body_bytes, retry_after_seconds, tally)
        # A Starlette Route given an ASGI app (not a function) hands it the raw request.
        api.router.routes.append(Route(handler.route, route, name=handler.route, include_in_schema=False))
    document_webhooks(api, handlers)
    return api


class WebhookDispatch:
    """The ASGI app uvicorn serves: webhook POSTs straight to their route, the rest to ``api``."""

    def __init__(self, api: FastAPI) -> None:
        self.api = api
        self.routes = {
            route.path: route.app
            for route in api.router.routes
            if isinstance(route, Route) and isinstance(route.app, WebhookRoute)
        }

    def __repr__(self) -> str:
        return f"WebhookDispatch(routes={list(self.routes)!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = self.routes.get(scope["path"])
            if route is not None:
                await route(scope, receive, send)
                return
        await self.api(scope, receive, send)


def error_answer(error: DeliveryError, retry_after_seconds: int) -> tuple[int, dict[str, object], list]:
    """The status, JSON body and extra headers answering ``error``."""
    body: dict[str, object] = {"error": error.message}
    if error.details is not None:
        body["details"] = error.details
    headers = []
    if isinstance(error, QueueUnavailableError):
        headers.append((b"retry-after", str(retry_after_seconds).encode()))
    return error.status_code, body, headers


class WebhookRoute:
    """The ASGI app of one webhook route: secret, size, payload, enqueue, then 202."""

    def __init__(
        self,
        handler: Handler,
        event_queue: EventQueue,
        secret: SecretStr | None,
        max_body_bytes: int,
        retry_after_seconds: int,
        tally: RouteTally | None = None,
    ) -> None:
        self.handler = handler
        self.tally = tally
        self.event_queue = event_queue
        self.secret = secret
        self.max_body_bytes = max_body_bytes
        self.retry_after_seconds = retry_after_seconds
        self.model = handler.payload_model or WebhookPayload
        self.event_filter = handler.event_filter

    def __repr__(self) -> str:
        return f"WebhookRoute({self.handler.route!r}, secret={'set' if self.secret else 'unset'})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            message = f"Method {scope['method']} not allowed: webhook routes take POST only."
            await _answer(send, 405, {"error": message}, [(b"allow", b"POST")])
            return
        started = time.perf_counter()
        try:
            outcome, status, answer = await self._accept(scope, receive)
        except DeliveryError as error:
            status, body, headers = error_answer(error, self.retry_after_seconds)
            logger.info("Reject: POST %s -> %s %s", self.handler.route, status, error.message)
            await _answer(send, status, body, headers)
            self._count(REFUSAL_OUTCOMES.get(status, "error"), started)
            return
        except BaseException:
            self._count("error", started)
            raise
        await _answer(send, status, answer)
        self._count(outcome, started)

    def _count(self, outcome: str, started: float) -> None:
        if self.tally is not None:
            self.tally.add(outcome, time.perf_counter() - started)

    async def _accept(self, scope: Scope, receive: Receive) -> tuple[str, int, dict[str, object]]:
        """The outcome (as :mod:`service.metrics` names it), the status and the JSON answer."""
        headers = dict(scope["headers"])
        check_secret(self.secret, headers, scope.get("query_string", b""))
        body = await _read_body(headers, receive, self.max_body_bytes)
        try:
            payload = self.model.model_validate_json(body)
        except ValidationError as error:
            raise InvalidPayloadError(_describe(error), _field_errors(error)) from None
        if self.event_filter is not None:
            reason = self.event_filter.reason_to_ignore(payload)
            if reason is not None:
                logger.info("Ignore: %s %s", self.handler.route, reason)
                return "ignored", 200, {"status": "ignored", "reason": reason}
        outcome = await self.event_queue.enqueue_async(self.handler, body.decode(), payload)
        if outcome.duplicate_of is not None:
            return "duplicate", 200, {"status": "duplicate", "job_id": outcome.duplicate_of}
        meta = outcome.meta
        return "accepted", 202, {"status": "accepted", "event_id": meta.event_id, "job_id": meta.job_id}


async def _answer(send: Send, status: int, body: dict[str, object], headers: list | None = None) -> None:
    content = json.dumps(body, separators=(",", ":")).encode()
    start = [_JSON, (b"content-length", str(len(content)).encode()), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": content})


async def _read_body(headers: dict[bytes, bytes], receive: Receive, limit: int) -> bytes:
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"Body of {declared.decode()} bytes is over the limit of {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise InvalidPayloadError("The client disconnected before sending the whole body.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"Body is over the limit of {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _field_errors(error: ValidationError) -> list[dict[str, object]]:
    return [
        {"field": ".".join(str(part) for part in item["loc"]), "message": item["msg"]}
        for item in error.errors(include_input=False, include_url=False)
    ]


def _describe(error: ValidationError) -> str:
    items = error.errors(include_input=False, include_url=False)
    if items and items[0]["type"] == "json_invalid":
        return f"Body is not valid JSON: {items[0]['msg']}."
    fields = ", ".join(".".join(str(part) for part in item["loc"]) or "body" for item in items)
    return f"Invalid payload: check {fields}."
