"""The Dashboard tab: Gradio components, and events that check the session before any read.

Imported by :func:`service.ui.tabbed_page` only when a front end is built (it imports Gradio).

Every callback takes the session token (a ``gr.State``, kept on the server) and returns blanks
when :meth:`DashboardAuth.check` refuses it, so calling an endpoint through Gradio's API without
logging in yields no data and changes nothing. A timer refreshes the tab while it is open and
the visitor is logged in; selecting another tab stops it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import gradio as gr

from service import jobs
from service.dashboard import views
from service.dashboard.activity import events_per_minute
from service.dashboard.context import DashboardContext
from service.dashboard.counts import overview
from service.dashboard.events import event_detail, events_page

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
PAGE_SIZE = 20
REFUSED = "Log in to see the dashboard."
LOCKED = (
    "The dashboard is locked: set `HUBHOOKS_DASHBOARD_PASSWORD` (or `WEBHOOK_SECRET`) to use it, "
    "or `HUBHOOKS_DASHBOARD_OPEN=1` on a machine only you can reach."
)
Values = dict[Any, Any]


@dataclass(frozen=True)
class Board:
    """The components a refresh fills: counts, plot, workers, one page of events."""

    updated: gr.Markdown
    banner: gr.HTML
    counts: gr.HTML
    plot: gr.BarPlot
    workers: gr.HTML
    events: gr.Dataframe
    page_text: gr.Markdown
    page_ids: gr.State
    page: gr.State

    @property
    def outputs(self) -> list[Any]:
        return [getattr(self, field.name) for field in fields(self)]

    def blank(self) -> Values:
        values: Values = {component: None for component in self.outputs}
        hidden = {self.banner: gr.HTML(None, visible=False)}
        return values | hidden | {self.updated: REFUSED, self.events: [], self.page_ids: [], self.page: 0}

    def values(self, context: DashboardContext, page_number: int) -> Values:
        """Read the board from Redis in a few bounded round trips."""
        connection, queue = context.connection, context.queue_name
        state = context.shared.get("overview", lambda: overview(connection, queue, context.routes))
        activity = context.shared.get("activity", lambda: events_per_minute(connection, queue))
        page = events_page(connection, queue, page_number, PAGE_SIZE)
        now = time.time()
        return {
            self.updated: f"Updated {time.strftime('%H:%M:%S', time.gmtime(now))} UTC · "
            f"refreshes every {REFRESH_SECONDS:.0f} s",
            self.banner: gr.HTML(views.stalled_banner(state), visible=state.stalled),
            self.counts: views.counts_table(state),
            self.plot: gr.BarPlot(views.plot_frame(activity), caption=views.plot_caption(activity)),
            self.workers: views.workers_table(state.workers),
            self.events: views.event_rows(page),
            self.page_text: views.page_label(page),
            self.page_ids: [row.job_id for row in page.rows],
            self.page: page.page,
        }


@dataclass(frozen=True)
class Detail:
    """The components describing the selected event (``box`` holds them all)."""

    box: gr.Column
    summary: gr.HTML
    outcomes: gr.Dataframe
    traceback: gr.Code
    result: gr.Code
    payload: gr.Code

    @property
    def outputs(self) -> list[Any]:
        return [getattr(self, field.name) for field in fields(self)]

    def values(self, context: DashboardContext, job_id: str | None, with_payload: bool) -> Values:
        """The event's values; the payload (which never changes) only when asked."""
        detail = event_detail(context.connection, job_id) if job_id else None
        traceback, result = (detail.traceback, detail.result) if detail else (None, None)
        values: Values = {
            self.box: gr.Column(visible=job_id is not None),
            self.summary: views.detail_summary(detail, job_id) if job_id else None,
            self.outcomes: views.outcome_rows(detail),
            self.traceback: gr.Code(traceback, visible=traceback is not None),
            self.result: gr.Code(result, visible=result is not None),
        }
        if with_payload:
            values[self.payload] = detail.payload if detail else None
        return values


def dashboard_tab(context: DashboardContext, other_tabs: Sequence[gr.Tab]) -> gr.Tab:
    """Build the tab inside the current ``gr.Blocks``; selecting any of ``other_tabs`` pauses it."""
    auth = context.auth
    quiet: dict[str, Any] = {"api_visibility": "undocumented", "show_progress": "hidden"}
    private: dict[str, Any] = {"api_visibility": "private"}

    with gr.Tab("Dashboard", id="dashboard", elem_id="hubhooks-dashboard-tab") as tab:
        token, selected, pending_route = gr.State(None), gr.State(None), gr.State(None)
        if not context.durable:
            _html(views.not_durable_badge())
        if auth.mode == "locked":
            gr.Markdown(LOCKED, elem_id="hubhooks-locked")
        with gr.Column(visible=auth.mode == "password") as login_box:
            password = gr.Textbox(label="Dashboard password", type="password", elem_id="hubhooks-password")
            login_button = gr.Button("Log in", variant="primary", elem_id="hubhooks-login")
            login_message = gr.Markdown(elem_id="hubhooks-login-message")
        with gr.Column(visible=auth.mode == "open") as shown:
            with gr.Row():
                updated = gr.Markdown(elem_id="hubhooks-updated")
                logout_button = gr.Button("Log out", size="sm", visible=auth.mode == "password", scale=0)
            banner = _html(elem_id="hubhooks-banner", visible=False)
            counts = _html(elem_id="hubhooks-counts-box")
            with gr.Row():
                route_choice = gr.Dropdown(context.routes, label="Route", scale=3)
                ask_button = gr.Button(
                    "Requeue all failed of this route…", scale=1, elem_id="hubhooks-requeue-route"
                )
            with gr.Row(visible=False) as confirm_row:
                confirm_text = gr.Markdown(elem_id="hubhooks-confirm-text")
                confirm_button = gr.Button("Confirm", variant="stop", elem_id="hubhooks-confirm", scale=0)
                cancel_button = gr.Button("Cancel", scale=0)
            route_message = gr.Markdown(elem_id="hubhooks-route-message")
            plot = gr.BarPlot(
                x="minute", y="events", color="outcome", x_bin="1m", y_aggregate="sum",
                color_map=views.OUTCOME_COLORS, title="Events per minute over the last hour, by outcome",
                x_title="received (UTC)", y_title="events", height=260, elem_id="hubhooks-plot",
            )  # fmt: skip
            gr.Markdown("### Workers")
            workers = _html(elem_id="hubhooks-workers-box")
            gr.Markdown("### Recent events")
            events = gr.Dataframe(
                [], headers=views.EVENT_HEADERS, interactive=False, elem_id="hubhooks-events", max_height=760
            )
            with gr.Row():
                newer_button = gr.Button("← Newer", size="sm", scale=0)
                page_text = gr.Markdown(elem_id="hubhooks-page")
                older_button = gr.Button("Older →", size="sm", scale=0)
            gr.Markdown("### Event")
            with gr.Row():
                job_box = gr.Textbox(label="Job id (or select a row)", elem_id="hubhooks-job-id", scale=4)
                show_button = gr.Button("Show", scale=1)
            with gr.Column(visible=False) as detail_box:
                summary = _html(elem_id="hubhooks-detail-box")
                with gr.Row():
                    requeue_button = gr.Button("Requeue (failed job)", size="sm", elem_id="hubhooks-requeue")
                    replay_button = gr.Button("Replay as a new event", size="sm", elem_id="hubhooks-replay")
                    delete_button = gr.Button(
                        "Delete job", size="sm", variant="stop", elem_id="hubhooks-delete"
                    )
                action_message = gr.Markdown(elem_id="hubhooks-action-message")
                outcomes = gr.Dataframe(
                    [], headers=views.OUTCOME_HEADERS, interactive=False, label="Outcomes"
                )
                traceback = gr.Code(label="Traceback", elem_id="hubhooks-traceback", visible=False)
                result = gr.Code(label="Result", language="json", elem_id="hubhooks-result", visible=False)
                payload = gr.Code(label="Payload", language="json", elem_id="hubhooks-payload", max_lines=30)
        page_ids, page = gr.State([]), gr.State(0)
        timer = gr.Timer(REFRESH_SECONDS, active=False)

    board = Board(updated, banner, counts, plot, workers, events, page_text, page_ids, page)
    detail = Detail(detail_box, summary, outcomes, traceback, result, payload)
    live = [*board.outputs, *detail.outputs[:-1]]  # the payload never changes: not refreshed

    def refresh(session: str | None, page_number: int, job_id: str | None) -> Values:
        if not auth.check(session):
            return board.blank() | detail.values(context, None, with_payload=False)
        return board.values(context, page_number) | detail.values(context, job_id, with_payload=False)

    def login(typed: str | None) -> Values:
        session = auth.login(typed)
        if session is None:
            return {login_message: "Wrong password.", password: ""}
        visible = {login_box: gr.Column(visible=False), shown: gr.Column(visible=True)}
        return visible | {token: session, password: "", login_message: "", timer: gr.Timer(active=True)}

    def logout() -> Values:
        hidden = {login_box: gr.Column(visible=True), shown: gr.Column(visible=False)}
        return hidden | {token: None, timer: gr.Timer(active=False)}

    def opened(session: str | None, page_number: int, job_id: str | None) -> Values:
        return {timer: gr.Timer(active=auth.check(session))} | refresh(session, page_number, job_id)

    def turn(step: int) -> Callable[[str | None, int], Values]:
        def to_page(session: str | None, page_number: int) -> Values:
            if not auth.check(session):
                return board.blank()
            return board.values(context, max(0, page_number + step))

        return to_page

    def choose(session: str | None, job_id: str | None) -> Values:
        job_id = (job_id or "").strip() or None
        if not auth.check(session):
            job_id = None
        chosen = {selected: job_id, job_box: job_id or "", action_message: ""}
        return chosen | detail.values(context, job_id, with_payload=True)

    def choose_row(session: str | None, ids: list[str], event: gr.SelectData) -> Values:
        row = event.index[0] if isinstance(event.index, list | tuple) else event.index
        return choose(session, ids[row] if isinstance(row, int) and 0 <= row < len(ids) else None)

    def act(name: str, action: Callable[[str], str]) -> Callable[[str | None, str | None, int], Values]:
        def run(session: str | None, job_id: str | None, page_number: int) -> Values:
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
            return {action_message: message} | refresh(session, page_number, job_id)

        return run

    def requeue(job_id: str) -> str:
        jobs.requeue_failed(context.connection, context.queue_name, [job_id])
        return f"Requeued job `{job_id}`."

    def replay(job_id: str) -> str:
        return f"Replayed as job `{jobs.replay_event(context.event_queue, context.handlers, job_id)}`."

    def delete(job_id: str) -> str:
        jobs.delete_job(context.connection, context.queue_name, job_id)
        return f"Deleted job `{job_id}`."

    def ask(session: str | None, route: str | None) -> Values:
        if not auth.check(session) or not route:
            return {confirm_row: gr.Row(visible=False), pending_route: None}
        failed = jobs.queue_counts(context.connection, context.queue_name).failed
        text = f"Requeue every failed job of `{route}`? The dead letter holds {failed:,} in all."
        return {
            confirm_row: gr.Row(visible=True),
            confirm_text: text,
            pending_route: route,
            route_message: "",
        }

    def confirm(session: str | None, route: str | None, page_number: int) -> Values:
        hidden = {confirm_row: gr.Row(visible=False), pending_route: None}
        if not auth.check(session):
            return hidden | {route_message: REFUSED}
        if not route:
            return hidden
        requeued = jobs.requeue_failed(context.connection, context.queue_name, route=route)
        context.shared.clear()
        logger.info("Dashboard: requeued %d failed job(s) of %s", len(requeued), route)
        message = f"Requeued {len(requeued)} failed job(s) of `{route}`."
        return hidden | {route_message: message} | board.values(context, page_number)

    refresh_inputs = [token, page, selected]
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
    newer_button.click(turn(-1), [token, page], board.outputs, api_name="dashboard_newer", **quiet)
    older_button.click(turn(+1), [token, page], board.outputs, api_name="dashboard_older", **quiet)
    chosen = [selected, job_box, action_message, *detail.outputs]
    events.select(choose_row, [token, page_ids], chosen, **private)
    show_button.click(choose, [token, job_box], chosen, api_name="dashboard_event", **quiet)
    job_box.submit(choose, [token, job_box], chosen, **private)
    for button, name, action in (
        (requeue_button, "requeue", requeue),
        (replay_button, "replay", replay),
        (delete_button, "delete", delete),
    ):
        inputs, outputs = [token, selected, page], [action_message, *live]
        button.click(act(name, action), inputs, outputs, api_name=f"dashboard_{name}", **quiet)
    asked = [confirm_row, confirm_text, pending_route, route_message]
    ask_button.click(ask, [token, route_choice], asked, **private)
    confirm_button.click(
        confirm, [token, pending_route, page], [confirm_row, pending_route, route_message, *board.outputs],
        api_name="dashboard_requeue_route", **quiet,
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
