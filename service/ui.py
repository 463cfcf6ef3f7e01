"""The Gradio page: the landing page (or the user's ``ui``) and the dashboard, as two tabs.

Gradio is imported here (and in :mod:`service.dashboard.tab`) only, and only when a front end is
built: workers import the user's app (and so :mod:`service`) but never this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi import FastAPI

from service.console import HUB_WEBHOOK_SETTINGS

if TYPE_CHECKING:
    import gradio as gr

    from service.dashboard import DashboardContext

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


def tabbed_page(
    ui: gr.Blocks | None,
    routes: Sequence[str],
    base_url: str,
    dashboard: DashboardContext,
    api: FastAPI | None = None,
) -> gr.Blocks:
    """The landing page (or ``ui``, rendered whole with its events) in a public first tab, and
    the dashboard, behind its own login, in a second.

    ``ui`` is rendered first, so its events keep their indices and API names. With ``api``, the
    landing page has a "Send a test event" form per route, posting to that app's routes.
    """
    import gradio as gr

    from service.dashboard.tab import dashboard_tab
    from service.send_form import send_test_event_forms

    title = ui.title if ui is not None else "hubhooks"
    with gr.Blocks(title=title, analytics_enabled=False) as page:
        with gr.Tab(_first_tab_label(ui), id="home", elem_id="hubhooks-home-tab") as home:
            if ui is None:
                gr.Markdown(landing_markdown(routes, base_url))
                if api is not None:
                    send_test_event_forms(api, dashboard.handlers)
            else:
                ui.render()
        dashboard_tab(dashboard, other_tabs=[home])
    return page


def _first_tab_label(ui: gr.Blocks | None) -> str:
    """The landing page's tab is "Webhooks"; a user's page's tab is its title (else "App")."""
    if ui is None:
        return "Webhooks"
    return ui.title if isinstance(ui.title, str) and ui.title not in ("", "Gradio") else "App"


def mount_ui(
    api: FastAPI,
    ui: gr.Blocks | None,
    routes: Sequence[str],
    base_url: str,
    dashboard: DashboardContext,
) -> FastAPI:
    """Mount the page at ``/``, after every API route is declared."""
    import gradio as gr

    page = tabbed_page(ui, routes, base_url, dashboard, api)
    return gr.mount_gradio_app(api, page, path="", ssr_mode=False)
