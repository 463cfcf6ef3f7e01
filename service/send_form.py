"""The landing page's "Send a test event" forms: one per route, posting through the route itself.

A form builds a payload with :mod:`service.simulator` and POSTs it to this server's own webhook
route, in process (``httpx.ASGITransport`` on our FastAPI app, on the server's event loop), so the
event meets exactly what the Hub's does: the secret check, the size limit, the payload check, the
filters, deduplication, the queue and the metrics.

On a public Space anyone can open the page, so the form never uses the server's secret: it sends
the one the visitor types, and the route refuses a missing or wrong one (401/403) before anything
is queued. A visitor without the secret can do nothing here they could not do with ``curl``.
Imported by :mod:`service.ui` only (it imports Gradio).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import gradio as gr
import httpx
from fastapi import FastAPI

from service.filters import EventFilter
from service.handler import ROUTE_PREFIX, Handler
from service.payload import KNOWN_ACTIONS, KNOWN_REPO_TYPES, KNOWN_SCOPES
from service.security import SECRET_HEADER
from service.simulator import SimulatedEvent, encode

USUAL_ACTION = "the scope's usual"


def send_test_event_forms(api: FastAPI, handlers: Mapping[str, Handler]) -> None:
    """One collapsed form per route, inside the current ``gr.Blocks``."""
    if not handlers:
        return
    gr.Markdown(
        "## Send a test event\n\nBuild an event as the Hub sends it and POST it to a route of this "
        "server; the answer shows below, and a worker runs the handler as for a real event. Type the "
        "webhook secret: the route refuses events without it. From a shell: `hubhooks send URL --scope "
        "repo.content --repo user/model`."
    )
    for route, handler in handlers.items():
        _form(api, route, handler.event_filter)


def _form(api: FastAPI, route: str, event_filter: EventFilter | None) -> None:
    slug = re.sub(r"\W+", "_", route.removeprefix(ROUTE_PREFIX)).strip("_") or "route"
    scope, repo, repo_type, action = _defaults(event_filter)
    with gr.Accordion(f"Send a test event to POST {route}", open=False, elem_id=f"hubhooks-send-{slug}"):
        if event_filter is not None:
            gr.Markdown(f"This route only takes events with {event_filter.description}.")
        with gr.Row():
            scope_box = gr.Dropdown(list(KNOWN_SCOPES), value=scope, label="Scope", allow_custom_value=True)
            action_box = gr.Dropdown([USUAL_ACTION, *KNOWN_ACTIONS], value=action, label="Action")
            type_box = gr.Dropdown(list(KNOWN_REPO_TYPES), value=repo_type, label="Repo type")
            repo_box = gr.Textbox(repo, label="Repo")
        secret_box = gr.Textbox(
            label="Webhook secret", type="password", elem_id=f"hubhooks-send-secret-{slug}"
        )
        button = gr.Button("Send", variant="primary", elem_id=f"hubhooks-send-button-{slug}")
        answer = gr.JSON(label="Answer", elem_id=f"hubhooks-send-answer-{slug}")

    async def send(scope: str, action: str, repo_type: str, repo: str, secret: str) -> dict[str, Any]:
        return await send_test_event(api, route, scope, action, repo_type, repo, secret)

    button.click(
        send,
        [scope_box, action_box, type_box, repo_box, secret_box],
        answer,
        api_name=f"send_test_event_{slug}",
        api_visibility="undocumented",
    )


async def send_test_event(
    api: FastAPI, route: str, scope: str, action: str, repo_type: str, repo: str, secret: str | None
) -> dict[str, Any]:
    """POST a simulated event to ``route`` of ``api`` in process; the answer, and what was sent."""
    try:
        event = SimulatedEvent(
            scope=(scope or "").strip(),
            repo=(repo or "").strip(),
            repo_type=repo_type,
            action=None if action in (None, "", USUAL_ACTION) else action,
        )
    except ValueError as error:
        return {"error": str(error)}
    payload = event.payload()
    headers = {"content-type": "application/json"}
    if secret:
        headers[SECRET_HEADER] = secret
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://hubhooks.internal") as client:
        answer = await client.post(route, content=encode(payload), headers=headers)
    try:
        body: Any = answer.json()
    except ValueError:
        body = answer.text
    return {"http_status": answer.status_code, "answer": body, "sent": payload}


def _defaults(event_filter: EventFilter | None) -> tuple[str, str, str, str]:
    """Scope, repo, type and action that pass the route's filter, so the first send is taken."""
    scope, repo, repo_type, action = "repo.content", "user/model", "model", USUAL_ACTION
    if event_filter is None:
        return scope, repo, repo_type, action
    if event_filter.scopes:
        scope = event_filter.scopes[0]
    if event_filter.actions:
        action = event_filter.actions[0]
    if event_filter.repo_types:
        repo_type = event_filter.repo_types[0]
    if event_filter.repos:
        example = event_filter.repos[0].replace("*", "test").replace("?", "x")
        repo = example if "[" not in example else repo
    return scope, repo, repo_type, action
