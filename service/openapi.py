"""The webhook routes in ``/docs``: their payload schema and every answer they give.

The routes are plain ASGI apps (see :mod:`service.frontend`), which FastAPI does not document by
itself; this adds them to the app's OpenAPI schema, each with its handler's payload model as the
request body (``$defs`` inlined: OpenAPI has no place for them) and the answers of the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service.handler import Handler
from service.payload import WebhookPayload

_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "details": {"type": "array", "items": {"type": "object"}}},
}
_ANSWERS = {
    "202": ("Accepted: the event is a job in Redis.", {"status": "accepted", "event_id": "…", "job_id": "…"}),
    "200": ("An identical delivery within the dedup window: not queued again.", {"status": "duplicate"}),
    "401": ("No secret in `X-Webhook-Secret` or `?secret=`.", None),
    "403": ("Wrong secret.", None),
    "413": ("Body over `HUBHOOKS_MAX_BODY_BYTES`.", None),
    "422": ("Not JSON, or not a valid payload for this handler.", None),
    "503": ("Redis did not confirm the write: retry after `Retry-After` seconds.", None),
}


def document_webhooks(api: FastAPI, handlers: Sequence[Handler]) -> None:
    """Make ``api.openapi()`` include a POST operation for each of ``handlers``."""

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schema = get_openapi(title=api.title, version=api.version, summary=api.summary, routes=api.routes)
            for handler in handlers:
                schema.setdefault("paths", {})[handler.route] = {"post": _operation(handler)}
            api.openapi_schema = schema
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it


def _operation(handler: Handler) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (description, example) in _ANSWERS.items():
        content_schema = {"type": "object", "example": example} if example else _ERROR
        responses[status] = {
            "description": description,
            "content": {"application/json": {"schema": content_schema}},
        }
    return {
        "summary": f"Queue an event for {handler.name}",
        "operationId": f"webhook_{handler.route.removeprefix('/webhooks/').replace('/', '_')}",
        "parameters": [
            {"name": "x-webhook-secret", "in": "header", "required": False, "schema": {"type": "string"}},
            {"name": "secret", "in": "query", "required": False, "schema": {"type": "string"}},
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _payload_schema(handler)}},
        },
        "responses": responses,
    }


def _payload_schema(handler: Handler) -> dict[str, Any]:
    schema = (handler.payload_model or WebhookPayload).model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: object) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return inline(schema)
