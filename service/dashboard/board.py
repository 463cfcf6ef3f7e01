"""The groups of components a refresh fills, and how they are filled from Redis.

:class:`Board` is the live part of the tab (summary, counts, plot, workers, one page of events);
:class:`Detail` is the selected event. Each turns the data layer's values into Gradio updates
through :mod:`~service.dashboard.views`; :mod:`~service.dashboard.tab` lays them out and checks
the session before calling them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

import gradio as gr

from service.dashboard import views
from service.dashboard.activity import events_per_minute
from service.dashboard.context import DashboardContext
from service.dashboard.counts import overview
from service.dashboard.events import Cursor, event_detail, events_page

REFRESH_SECONDS = 5.0
PAGE_SIZE = 20
REFUSED = "Log in to see the dashboard."

Values = dict[Any, Any]


@dataclass(frozen=True)
class Board:
    """The components a refresh fills: counts, plot, workers, one page of events.

    ``pages`` (a state) holds the cursor each page the visitor went through starts at, the
    newest (``None``) first; ``next_start`` is where the next older page starts.
    """

    updated: gr.Markdown
    banner: gr.HTML
    summary: gr.HTML
    counts: gr.HTML
    plot: gr.BarPlot
    workers: gr.HTML
    events: gr.Dataframe
    page_text: gr.Markdown
    page_ids: gr.State
    next_start: gr.State

    @property
    def outputs(self) -> list[Any]:
        return [getattr(self, field.name) for field in fields(self)]

    def blank(self) -> Values:
        values: Values = {component: None for component in self.outputs}
        hidden = {self.banner: gr.HTML(None, visible=False)}
        return values | hidden | {self.updated: REFUSED, self.events: [], self.page_ids: []}

    def values(self, context: DashboardContext, pages: list[Any]) -> Values:
        """Read the board from Redis in a few bounded round trips; the counts and the plot are
        shared by every session for a moment."""
        connection, queues = context.connection, context.queue_names
        state = context.shared.get("overview", lambda: overview(connection, queues, context.routes))
        activity = context.shared.get("activity", lambda: events_per_minute(connection, queues))
        start = Cursor.from_state(pages[-1]) if pages else None
        page = events_page(connection, queues, start, PAGE_SIZE)
        now = time.time()
        return {
            self.updated: f"Updated {time.strftime('%H:%M:%S', time.gmtime(now))} UTC · "
            f"refreshes every {REFRESH_SECONDS:.0f} s",
            self.banner: gr.HTML(views.stalled_banner(state), visible=bool(state.stalled)),
            self.summary: views.summary_cards(state),
            self.counts: views.counts_table(state),
            self.plot: gr.BarPlot(views.plot_frame(activity), caption=views.plot_caption(activity)),
            self.workers: views.workers_table(state),
            self.events: views.events_table(page),
            self.page_text: views.page_label(page),
            self.page_ids: [row.job_id for row in page.rows],
            self.next_start: page.next.as_state() if page.next else None,
        }


@dataclass(frozen=True)
class Detail:
    """The components describing the selected event (``box`` holds them all)."""

    box: gr.Column
    summary: gr.HTML
    requeue: gr.Button
    replay: gr.Button
    delete: gr.Button
    outcomes: gr.Dataframe
    traceback: gr.Code
    result: gr.Code
    payload: gr.Code

    @property
    def outputs(self) -> list[Any]:
        return [getattr(self, field.name) for field in fields(self)]

    @property
    def live(self) -> list[Any]:
        """What a refresh updates: everything but the payload, which never changes."""
        return [output for output in self.outputs if output is not self.payload]

    def values(self, context: DashboardContext, job_id: str | None, with_payload: bool) -> Values:
        """The event's values; the payload only when asked. Buttons that cannot apply to the
        event's state (requeue a job that has not failed, delete a running one) are disabled."""
        detail = event_detail(context.connection, job_id) if job_id else None
        traceback, result = (detail.traceback, detail.result) if detail else (None, None)
        status = detail.status if detail else None
        values: Values = {
            self.box: gr.Column(visible=job_id is not None),
            self.summary: views.detail_summary(detail, job_id) if job_id else None,
            self.requeue: gr.Button(interactive=status in views.REQUEUEABLE),
            self.replay: gr.Button(interactive=detail is not None),
            self.delete: gr.Button(interactive=detail is not None and status != "started"),
            self.outcomes: views.outcome_rows(detail),
            self.traceback: gr.Code(traceback, visible=traceback is not None),
            self.result: gr.Code(result, visible=result is not None),
        }
        if with_payload:
            values[self.payload] = detail.payload if detail else None
        return values
