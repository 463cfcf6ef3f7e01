"""The HTTP front end: one POST route per handler that checks, validates, enqueues and answers 202.

The order of checks on a webhook route is part of the contract:

1. the secret, before the body is read (401 missing, 403 wrong);
2. the body size, from ``Content-Length`` and while streaming (413);
3. the payload, parsed into the handler's model (422 naming the fields);
4. the endpoint's filters (:mod:`service.filters`): an event it does not take is answered 200
   ``{"status": "ignored"}`` and never written to Redis;
5. the write to Redis, confirmed before answering (202, or 503 with ``Retry-After``).

Every error answer is produced by one exception handler from :mod:`service.errors`. Each answer
is counted by :mod:`service.metrics` (an ASGI middleware): the endpoint and the exception handler
name its outcome in the request's scope.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr, ValidationError

from service.enqueue import EventQueue
from service.errors import (
    DeliveryError,
    InvalidPayloadError,
    PayloadTooLargeError,
    QueueUnavailableError,
)
from service.handler import Handler
from service.health import health_router
from service.metrics import OUTCOME_SCOPE_KEY, REFUSAL_OUTCOMES, EventMetricsMiddleware, FrontEndMetrics
from service.payload import WebhookPayload
from service.security import secret_check

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[JSONResponse]]


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
    if metrics is not None:
        api.add_middleware(EventMetricsMiddleware, metrics=metrics)
    api.include_router(health_router(event_queue))
    authenticated = [Depends(secret_check(secret))]
    for handler in handlers:
        api.add_api_route(
            handler.route,
            _webhook_endpoint(handler, event_queue, max_body_bytes),
            methods=["POST"],
            status_code=202,
            dependencies=authenticated,
            summary=f"Queue an event for {handler.name}",
            name=handler.route,
            openapi_extra=_request_body_schema(handler),
        )
        api.add_api_route(
            handler.route,
            _method_not_allowed,
            methods=["GET", "PUT", "PATCH", "DELETE"],
            include_in_schema=False,
        )

    @api.exception_handler(DeliveryError)
    async def answer_delivery_error(request: Request, error: DeliveryError) -> JSONResponse:
        body: dict[str, object] = {"error": error.message}
        if error.details is not None:
            body["details"] = error.details
        headers = {}
        if isinstance(error, QueueUnavailableError):
            headers["Retry-After"] = str(retry_after_seconds)
        request.scope[OUTCOME_SCOPE_KEY] = REFUSAL_OUTCOMES.get(error.status_code, "error")
        logger.info(
            "Reject: %s %s -> %s %s",
            request.method,
            request.url.path,
            error.status_code,
            error.message,
        )
        return JSONResponse(body, status_code=error.status_code, headers=headers)

    return api


def _webhook_endpoint(handler: Handler, event_queue: EventQueue, max_body_bytes: int) -> Endpoint:
    model = handler.payload_model or WebhookPayload
    event_filter = handler.event_filter

    async def receive(request: Request) -> JSONResponse:
        body = await _read_body(request, max_body_bytes)
        try:
            payload = model.model_validate_json(body)
        except ValidationError as error:
            raise InvalidPayloadError(_describe(error), _field_errors(error)) from None
        if event_filter is not None:
            reason = event_filter.reason_to_ignore(payload)
            if reason is not None:
                request.scope[OUTCOME_SCOPE_KEY] = "ignored"
                logger.info("Ignore: %s %s", handler.route, reason)
                return JSONResponse({"status": "ignored", "reason": reason}, status_code=200)
        outcome = await event_queue.enqueue_async(handler, body.decode())
        if outcome.duplicate_of is not None:
            request.scope[OUTCOME_SCOPE_KEY] = "duplicate"
            return JSONResponse({"status": "duplicate", "job_id": outcome.duplicate_of}, status_code=200)
        meta = outcome.meta
        request.scope[OUTCOME_SCOPE_KEY] = "accepted"
        return JSONResponse(
            {"status": "accepted", "event_id": meta.event_id, "job_id": meta.job_id},
            status_code=202,
        )

    receive.__name__ = f"receive_{handler.function.__name__}"
    return receive


async def _method_not_allowed(request: Request) -> JSONResponse:
    return JSONResponse(
        {"error": f"Method {request.method} not allowed: webhook routes take POST only."},
        status_code=405,
        headers={"Allow": "POST"},
    )


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"Body of {declared} bytes is over the limit of {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"Body is over the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


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


def _request_body_schema(handler: Handler) -> dict[str, object]:
    """The payload's JSON schema for /docs, with its ``$defs`` inlined (OpenAPI has no place for them)."""
    model = handler.payload_model or WebhookPayload
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: object) -> object:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline(schema)}},
        }
    }
