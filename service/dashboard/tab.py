"""The Dashboard tab: Gradio components, and events that check the session before any read.

Imported by :func:`service.ui.tabbed_page` only when a front end is built (it imports Gradio).

Every callback takes the session token (a ``gr.State``, kept on the server) and returns blanks
when :meth:`DashboardAuth.check` refuses it, so calling an endpoint through Gradio's API without
logging in yields no data and changes nothing. A timer refreshes the tab while it is open and
the visitor is logged in; selecting another tab stops it. Actions are :mod:`service.jobs`
functions, the ones the CLI calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from service import jobs
from service.dashboard import views
from service.dashboard.board import PAGE_SIZE, REFRESH_SECONDS, REFUSED, Board, Detail, Values
from service.dashboard.context import DashboardContext

logger = logging.getLogger(__name__)

__all__ = ["PAGE_SIZE", "REFRESH_SECONDS", "dashboard_tab"]

LOCKED = (
    "The dashboard is locked: set `HUBHOOKS_DASHBOARD_PASSWORD` (or `WEBHOOK_SECRET`) to use it, "
    "or `HUBHOOKS_DASHBOARD_OPEN=1` on a machine only you can reach."
)


def dashboard_tab(context: DashboardContext, other_tabs: Sequence[gr.Tab]) -> gr.Tab:
    """Build the tab inside the current ``gr.Blocks``; selecting any of ``other_tabs`` pauses it."""
    auth = context.auth
    quiet: dict[str, Any] = {"api_visibility": "undocumented", "show_progress": "hidden"}
    private: dict[str, Any] = {"api_visibility": "private"}

    with gr.Tab("Dashboard", id="dashboard", elem_id="hubhooks-dashboard-tab") as tab:
        token, selected, pending_route = gr.State(None), gr.State(None), gr.State(None)
        pages, page_ids, next_start = gr.State([None]), gr.State([]), gr.State(None)
        if not context.durable:
            _html(views.not_durable_badge())
        if auth.mode == "locked":
            gr.Markdown(LOCKED, elem_id="hubhooks-locked")
        with gr.Column(visible=auth.mode == "password") as login_box:
            password = gr.Textbox(label="Dashboard password", type="password", elem_id="hubhooks-password")
            login_button = gr.Button("Log in", variant="primary", elem_id="hubhooks-login")
            login_message = gr.Markdown(elem_id="hubhooks-login-message")
        with gr.Column(visible=auth.mode == "open") as shown:
            with gr.Row(equal_height=True):
                updated = gr.Markdown(elem_id="hubhooks-updated")
                logout_button = gr.Button("Log out", size="sm", visible=auth.mode == "password", scale=0)
            banner = _html(elem_id="hubhooks-banner", visible=False)
            summary = _html(elem_id="hubhooks-summary-box")
            gr.Markdown("### Queues and routes")
            counts = _html(elem_id="hubhooks-counts-box")
            with gr.Accordion("Requeue every failed job of a route", open=False, elem_id="hubhooks-bulk"):
                with gr.Row():
                    route_choice = gr.Dropdown(list(context.routes), value=None, label="Route", scale=3)
                    with gr.Column(scale=1, min_width=200):
                        ask_button = gr.Button(
                            "Requeue failed jobs…", size="md", elem_id="hubhooks-requeue-route"
                        )
                with gr.Row(visible=False, equal_height=True) as confirm_row:
                    confirm_text = gr.Markdown(elem_id="hubhooks-confirm-text")
                    confirm_button = gr.Button("Confirm", variant="stop", elem_id="hubhooks-confirm", scale=0)
                    cancel_button = gr.Button("Cancel", scale=0)
                route_message = gr.Markdown(elem_id="hubhooks-route-message")
            gr.Markdown("### Activity")
            plot = gr.BarPlot(
                x="minute", y="events", color="outcome", x_bin="1m", y_aggregate="sum",
                color_map=views.OUTCOME_COLORS, title="Events per minute over the last hour, by outcome",
                x_title="received (UTC)", y_title="events", height=260, elem_id="hubhooks-plot",
            )  # fmt: skip
            gr.Markdown("### Workers")
            workers = _html(elem_id="hubhooks-workers-box")
            gr.Markdown("### Recent events")
            events = gr.Dataframe(
                [], headers=views.EVENT_HEADERS, interactive=False, elem_id="hubhooks-events",
                max_height=760, column_widths=views.EVENT_COLUMN_WIDTHS,
            )  # fmt: skip
            with gr.Row(equal_height=True):
                newer_button = gr.Button("\N{LEFTWARDS ARROW} Newer", size="sm", scale=0)
                page_text = gr.Markdown(elem_id="hubhooks-page")
                older_button = gr.Button("Older \N{RIGHTWARDS ARROW}", size="sm", scale=0)
            gr.Markdown("### Event")
            with gr.Row():
                job_box = gr.Textbox(
                    label="Job id", placeholder="select a row above, or paste a job id",
                    elem_id="hubhooks-job-id", scale=4,
                )  # fmt: skip
                with gr.Column(scale=1, min_width=160):
                    show_button = gr.Button("Show", size="md")
            with gr.Column(visible=False) as detail_box:
                detail_summary = _html(elem_id="hubhooks-detail-box")
                with gr.Row():
                    requeue_button = gr.Button("Requeue", size="sm", elem_id="hubhooks-requeue")
                    replay_button = gr.Button("Replay as a new event", size="sm", elem_id="hubhooks-replay")
                    delete_button = gr.Button(
                        "Delete job", size="sm", variant="stop", elem_id="hubhooks-delete"
                    )
                action_message = gr.Markdown(elem_id="hubhooks-action-message")
                outcomes = gr.Dataframe(
                    [], headers=views.OUTCOME_HEADERS, interactive=False, label="Outcomes of its runs"
                )
                traceback = gr.Code(label="Traceback", elem_id="hubhooks-traceback", visible=False)
                result = gr.Code(label="Result", language="json", elem_id="hubhooks-result", visible=False)
                payload = gr.Code(label="Payload", language="json", elem_id="hubhooks-payload", max_lines=30)
        timer = gr.Timer(REFRESH_SECONDS, active=False)

    board = Board(updated, banner, summary, counts, plot, workers, events, page_text, page_ids, next_start)
    detail = Detail(
        detail_box, detail_summary, requeue_button, replay_button, delete_button, outcomes, traceback, result,
        payload,
    )  # fmt: skip
    live = [*board.outputs, *detail.live]

    def refresh(session: str | None, stack: list[Any], job_id: str | None) -> Values:
        if not auth.check(session):
            return board.blank() | detail.values(context, None, with_payload=False)
        return board.values(context, stack) | detail.values(context, job_id, with_payload=False)

    def login(typed: str | None) -> Values:
        session = auth.login(typed)
        if session is None:
            return {login_message: "Wrong password.", password: ""}
        visible = {login_box: gr.Column(visible=False), shown: gr.Column(visible=True)}
        return visible | {token: session, password: "", login_message: "", timer: gr.Timer(active=True)}

    def logout() -> Values:
        hidden = {login_box: gr.Column(visible=True), shown: gr.Column(visible=False)}
        return hidden | {token: None, timer: gr.Timer(active=False)}

    def opened(session: str | None, stack: list[Any], job_id: str | None) -> Values:
        # Without a session the timer is left alone: this event may finish after a login that
        # the visitor typed at once, and must not stop the timer that login started.
        running = gr.Timer(active=True) if auth.check(session) else gr.skip()
        return {timer: running} | refresh(session, stack, job_id)

    def newer(session: str | None, stack: list[Any]) -> Values:
        if not auth.check(session):
            return board.blank() | {pages: [None]}
        stack = stack[:-1] or [None]
        return {pages: stack} | board.values(context, stack)

    def older(session: str | None, stack: list[Any], start: Any) -> Values:
        if not auth.check(session):
            return board.blank() | {pages: [None]}
        stack = [*stack, start] if start is not None else stack
        return {pages: stack} | board.values(context, stack)

    def choose(session: str | None, job_id: str | None) -> Values:
        job_id = (job_id or "").strip() or None
        if not auth.check(session):
            job_id = None
        chosen = {selected: job_id, job_box: job_id or "", action_message: ""}
        return chosen | detail.values(context, job_id, with_payload=True)

    def choose_row(session: str | None, ids: list[str], event: gr.SelectData) -> Values:
        row = event.index[0] if isinstance(event.index, list | tuple) else event.index
        return choose(session, ids[row] if isinstance(row, int) and 0 <= row < len(ids) else None)

    def act(name: str, action: Callable[[str], str]) -> Callable[[str | None, str | None, list[Any]], Values]:
        def run(session: str | None, job_id: str | None, stack: list[Any]) -> Values:
            if not auth.check(session):
                return {action_message: REFUSED}
            if not job_id:
                return {action_message: "Select an event first."}
            try:
                message = action(job_id)
                context.shared.clear()
            except (LookupError, ValueError) as error:
                message = f"Could not {name}: {error}"
            logger.info("Dashboard: %s %s: %s", name, job_id, message)
            return {action_message: message} | refresh(session, stack, job_id)

        return run

    def requeue(job_id: str) -> str:
        jobs.requeue_jobs(context.connection, [job_id])
        return f"Requeued job `{job_id}`."

    def replay(job_id: str) -> str:
        return f"Replayed as job `{jobs.replay_event(context.event_queue, context.handlers, job_id)}`."

    def delete(job_id: str) -> str:
        jobs.delete_job(context.connection, job_id)
        return f"Deleted job `{job_id}`."

    def ask(session: str | None, route: str | None) -> Values:
        if not auth.check(session) or not route:
            return {confirm_row: gr.Row(visible=False), pending_route: None}
        found = sum(len(jobs.failed_job_ids(context.connection, name, route)) for name in context.queue_names)
        if not found:
            return {
                confirm_row: gr.Row(visible=False),
                pending_route: None,
                route_message: f"`{route}` has no failed job.",
            }
        text = f"Requeue the {found:,} failed job{'' if found == 1 else 's'} of `{route}`?"
        return {
            confirm_row: gr.Row(visible=True),
            confirm_text: text,
            pending_route: route,
            route_message: "",
        }

    def confirm(session: str | None, route: str | None, stack: list[Any]) -> Values:
        hidden = {confirm_row: gr.Row(visible=False), pending_route: None}
        if not auth.check(session):
            return hidden | {route_message: REFUSED}
        if not route:
            return hidden
        requeued = [
            job_id
            for name in context.queue_names
            for job_id in jobs.requeue_failed(context.connection, name, route=route)
        ]
        context.shared.clear()
        logger.info("Dashboard: requeued %d failed job(s) of %s", len(requeued), route)
        message = f"Requeued {len(requeued)} failed job(s) of `{route}`."
        return hidden | {route_message: message} | board.values(context, stack)

    refresh_inputs = [token, pages, selected]
    login_outputs = [token, password, login_message, login_box, shown, timer]
    for trigger in (login_button.click, password.submit):
        trigger(
            login, password, login_outputs, api_name="dashboard_login", api_visibility="undocumented",
            concurrency_id="dashboard_login", concurrency_limit=1,
        ).then(refresh, refresh_inputs, live, **quiet)  # fmt: skip
    logout_button.click(logout, None, [token, login_box, shown, timer], **private)
    tab.select(opened, refresh_inputs, [timer, *live], **quiet)
    for other in other_tabs:
        other.select(lambda: gr.Timer(active=False), None, timer, **private)
    timer.tick(
        refresh, refresh_inputs, live, api_name="dashboard_refresh", trigger_mode="once",
        concurrency_limit=None, **quiet,
    )  # fmt: skip
    paged = [pages, *board.outputs]
    newer_button.click(newer, [token, pages], paged, api_name="dashboard_newer", **quiet)
    older_button.click(older, [token, pages, next_start], paged, api_name="dashboard_older", **quiet)
    chosen = [selected, job_box, action_message, *detail.outputs]
    events.select(choose_row, [token, page_ids], chosen, **private)
    show_button.click(choose, [token, job_box], chosen, api_name="dashboard_event", **quiet)
    job_box.submit(choose, [token, job_box], chosen, **private)
    for button, name, action in (
        (requeue_button, "requeue", requeue),
        (replay_button, "replay", replay),
        (delete_button, "delete", delete),
    ):
        inputs, outputs = [token, selected, pages], [action_message, *live]
        button.click(act(name, action), inputs, outputs, api_name=f"dashboard_{name}", **quiet)
    asked = [confirm_row, confirm_text, pending_route, route_message]
    ask_button.click(ask, [token, route_choice], asked, show_progress="minimal", **private)
    # A route's dead letter may hold thousands of jobs (seconds of work): show that it runs.
    confirm_button.click(
        confirm, [token, pending_route, pages], [confirm_row, pending_route, route_message, *board.outputs],
        api_name="dashboard_requeue_route", api_visibility="undocumented", show_progress="minimal",
    )  # fmt: skip
    cancel_button.click(
        lambda: {confirm_row: gr.Row(visible=False), pending_route: None},
        None,
        [confirm_row, pending_route],
        **private,
    )
    return tab


def _html(value: str = "", elem_id: str | None = None, visible: bool = True) -> gr.HTML:
    return gr.HTML(value, elem_id=elem_id, css_template=views.TABLE_CSS, js_on_load=None, visible=visible)
