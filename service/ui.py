"""The Gradio landing page, and mounting a UI on the FastAPI app.

Gradio is imported here only, and only when a front end is built: workers import the user's app
(and so :mod:`service`) but never this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi import FastAPI

from service.console import HUB_WEBHOOK_SETTINGS

if TYPE_CHECKING:
    import gradio as gr

HUB_WEBHOOKS_GUIDE = "https://huggingface.co/docs/hub/webhooks"


def landing_markdown(routes: Sequence[str], base_url: str) -> str:
    """The landing page's text: what webhooks are, the routes, where to configure them."""
    listed = "\n".join(f"- `POST {base_url}{route}`" for route in routes) or "- (none yet)"
    return f"""# Hugging Face Hub webhooks, queued

Webhooks let your code react to what happens on the Hub: a dataset gets a new commit, a pull request
opens, a model is moved. Read the [Hub's webhooks guide]({HUB_WEBHOOKS_GUIDE}).

This server answers each event at once and queues it; workers run the handlers.

## {len(routes)} registered webhook{"" if len(routes) == 1 else "s"}

{listed}

Add them in your [Hub webhook settings]({HUB_WEBHOOK_SETTINGS}) with this server's URL
(`{base_url}`), and set the same secret here as `WEBHOOK_SECRET`. The request schemas are in the
[API docs](/docs).
"""


def landing_page(routes: Sequence[str], base_url: str) -> gr.Blocks:
    """The default UI: a single page describing the registered webhooks."""
    import gradio as gr

    with gr.Blocks(title="hubhooks") as page:
        gr.Markdown(landing_markdown(routes, base_url))
    return page


def mount_ui(api: FastAPI, ui: gr.Blocks | None, routes: Sequence[str], base_url: str) -> FastAPI:
    """Mount ``ui`` (or the landing page) at ``/``, after every API route is declared."""
    import gradio as gr

    blocks = ui if ui is not None else landing_page(routes, base_url)
    return gr.mount_gradio_app(api, blocks, path="", ssr_mode=False)
