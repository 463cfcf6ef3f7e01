"""What the dashboard's components show, made from the data layer: HTML, table rows, plot frames.

Pure functions of :mod:`~service.dashboard.counts` and :mod:`~service.dashboard.events` values,
so each view is tested without a browser. Every string that comes from Redis (routes, repos,
worker names, errors) is escaped: a payload is written by whoever can reach the webhook.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from service.dashboard.activity import Activity
from service.dashboard.counts import ROUTE_WINDOW, Overview, RouteCounts
from service.dashboard.events import EventDetail, EventPage, EventRow
from service.jobs import WorkerInfo

if TYPE_CHECKING:
    import pandas as pd

EVENT_HEADERS = ["time (UTC)", "route", "repo", "scope / action", "status", "attempts", "duration", "job"]
OUTCOME_HEADERS = ["started (UTC)", "outcome", "duration", "worker", "error"]
COUNT_COLUMNS = ("queued", "running", "scheduled", "finished", "failed")
COUNT_TITLES = ("queued", "running", "scheduled for retry", "finished", "failed")
NONE = "\N{EN DASH}"  # an empty cell
OUTCOME_COLORS = {"finished": "#16a34a", "failed": "#dc2626", "in progress": "#2563eb", "expired": "#9ca3af"}

TABLE_CSS = """
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--border-color-primary); text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: 600; }
.note { color: var(--body-text-color-subdued); font-size: 0.85em; margin: 4px 0 0; }
.banner { padding: 10px 14px; border-radius: 8px; background: #fef2f2; color: #991b1b;
          border: 1px solid #fecaca; font-weight: 600; }
.badge { display: inline-block; padding: 4px 10px; border-radius: 999px; background: #fef3c7;
         color: #92400e; border: 1px solid #fcd34d; font-weight: 600; font-size: 0.9em; }
"""


def duration(seconds: float | None) -> str:
    """``"850ms"``, ``"12s"``, ``"3m 04s"``, ``"2h 05m"``, ``"3d 04h"``; :data:`NONE` when unknown."""
    if seconds is None:
        return NONE
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if whole >= size:
            return f"{whole // size}{unit} {whole % size // sub_size:02d}{sub}"
    return f"{whole}s"


def moment(value: datetime | None) -> str:
    """A UTC time to the second."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else NONE


def not_durable_badge() -> str:
    """The badge of the embedded default, whose queue lives and dies with this process."""
    return (
        '<span class="badge" id="hubhooks-not-durable">In-memory queue (embedded default): '
        "not durable. Events are lost when this process stops; set REDIS_URL.</span>"
    )


def stalled_banner(overview: Overview) -> str:
    """A warning when events wait and no worker is alive on the queue; empty otherwise."""
    if not overview.stalled:
        return ""
    count = overview.queue.queued
    return (
        f'<div class="banner" id="hubhooks-no-worker">{count} event{"" if count == 1 else "s"} queued '
        f"on {escape(overview.queue.queue)!s} and no worker is alive: start "
        "<code>hubhooks worker APP</code>.</div>"
    )


def counts_table(overview: Overview) -> str:
    """The queue's exact counts, then each route's over the window."""
    queue = overview.queue
    total = RouteCounts(
        f"queue {queue.queue} (all events)",
        queued=queue.queued,
        running=queue.running,
        scheduled=queue.scheduled + queue.deferred,
        finished=queue.finished,
        failed=queue.failed,
        oldest_queued_seconds=overview.oldest_queued_seconds,
    )
    rows = [_count_row(total, "queue", "total")]
    rows += [_count_row(route, route.route, "") for route in overview.routes]
    head = "".join(f"<th>{title}</th>" for title in ("", *COUNT_TITLES, "oldest queued"))
    covered = (
        f"the newest {overview.window:,}" if overview.window >= ROUTE_WINDOW else f"all {overview.window:,}"
    )
    note = f"Route rows count {covered} indexed events; the queue row counts every job Redis holds."
    return (
        f'<table id="hubhooks-counts"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table><p class="note">{note}</p>'
    )


def _count_row(counts: RouteCounts, key: str, css_class: str) -> str:
    cells = "".join(f'<td data-col="{column}">{getattr(counts, column)}</td>' for column in COUNT_COLUMNS)
    oldest = duration(counts.oldest_queued_seconds)
    return (
        f'<tr class="{css_class}" data-row="{escape(key)}"><td>{escape(counts.route)}</td>{cells}'
        f'<td data-col="oldest">{oldest}</td></tr>'
    )


def workers_table(workers: list[WorkerInfo]) -> str:
    """Live workers of the queue: name, host, state, job, heartbeat, jobs done and failed."""
    if not workers:
        return '<p class="note" id="hubhooks-workers">No worker is alive on this queue.</p>'
    head = "".join(
        f"<th>{title}</th>"
        for title in ("worker", "host", "state", "current job", "last heartbeat", "done", "failed")
    )
    rows = "".join(
        f"<tr><td>{escape(worker.name)}</td><td>{escape(worker.hostname)}</td>"
        f"<td>{escape(worker.state)}</td><td>{escape(worker.current_job or NONE)}</td>"
        f"<td>{duration(worker.seconds_since_heartbeat)} ago</td>"
        f"<td>{worker.successful_jobs}</td><td>{worker.failed_jobs}</td></tr>"
        for worker in workers
    )
    return f'<table id="hubhooks-workers"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def event_rows(page: EventPage) -> list[list[object]]:
    """The events table's rows (the job column shows the id's first 8 characters)."""
    return [_event_row(row) for row in page.rows]


def _event_row(row: EventRow) -> list[object]:
    kind = "/".join(part for part in (row.scope, row.action) if part) or NONE
    return [
        moment(row.received_at),
        row.route or NONE,
        row.repo or NONE,
        kind,
        row.status,
        row.attempts,
        duration(row.duration_seconds),
        row.job_id[:8],
    ]


def page_label(page: EventPage) -> str:
    """``Page 2 of 7 · 131 events``."""
    return f"Page {page.page + 1} of {page.pages} · {page.total:,} event{'' if page.total == 1 else 's'}"


def detail_summary(detail: EventDetail | None, job_id: str) -> str:
    """A line about the selected event: job, status, route, received, runs."""
    if detail is None:
        return f'<p id="hubhooks-detail">Job <code>{escape(job_id)}</code> has expired or was deleted.</p>'
    status, route = escape(detail.status), escape(detail.route or NONE)
    return (
        f'<p id="hubhooks-detail" data-status="{status}">Job <code>{escape(detail.job_id)}</code>'
        f" · status <b>{status}</b> · {route} · received {moment(detail.received_at)}"
        f" · runs: {detail.runs}</p>"
    )


def outcome_rows(detail: EventDetail | None) -> list[list[object]]:
    """The outcomes RQ recorded for the event's runs, oldest first."""
    if detail is None:
        return []
    return [
        [moment(item.at), item.outcome, duration(item.duration_seconds), item.worker, item.error or ""]
        for item in detail.outcomes
    ]


def plot_frame(activity: Activity) -> pd.DataFrame:
    """Events per minute by outcome, as the bar plot reads them."""
    import pandas as pd

    frame = pd.DataFrame(activity.buckets, columns=["minute", "outcome", "events"])
    frame["minute"] = pd.to_datetime(frame["minute"], utc=True).dt.tz_localize(None)
    return frame


def plot_caption(activity: Activity) -> str | None:
    """Says so when a flood left older minutes of the hour unread."""
    if not activity.partial:
        return None
    return f"Outcomes of the newest {activity.read:,} of the {activity.total:,} events of the last hour."
