"""What the dashboard's components show, made from the data layer: HTML, table rows, plot frames.

Pure functions of :mod:`~service.dashboard.counts` and :mod:`~service.dashboard.events` values,
so each view is tested without a browser. Every string that comes from Redis (routes, repos,
queue and worker names, errors, progress messages) is escaped: a payload is written by whoever
can reach the webhook, a progress message by a handler.
"""

from __future__ import annotations

import time
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from service.dashboard.activity import Activity
from service.dashboard.counts import ROUTE_WINDOW, Overview, QueueState, RouteCounts
from service.dashboard.events import EXPIRED, SUPERSEDED, EventDetail, EventPage, EventRow
from service.jobs import WorkerInfo
from service.progress import Progress

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

EVENT_HEADERS = [
    "received (UTC)", "route", "repo", "scope / action", "status", "progress", "attempts", "duration", "job",
]  # fmt: skip
EVENT_COLUMN_WIDTHS: list[str | int] = ["12%", "16%", "14%", "14%", "8%", "14%", "7%", "7%", "8%"]
OUTCOME_HEADERS = ["started (UTC)", "outcome", "duration", "worker", "error"]
COUNT_COLUMNS = ("queued", "running", "scheduled", "finished", "failed")
COUNT_TITLES = ("queued", "running", "scheduled for retry", "finished", "failed")
NONE = "\N{EN DASH}"  # an empty cell
OUTCOME_COLORS = {"finished": "#16a34a", "failed": "#dc2626", "in progress": "#2563eb", "expired": "#9ca3af"}

# RQ's statuses as the dashboard names them, and their colors.
STATUS_LABELS = {"started": "running", "deferred": "waiting", "canceled": "canceled"}
STATUS_COLORS = {
    "finished": "#15803d",
    "failed": "#b91c1c",
    "stopped": "#b91c1c",
    "canceled": "#b91c1c",
    "running": "#1d4ed8",
    "queued": "#a16207",
    "scheduled": "#7c3aed",
    "waiting": "#7c3aed",
    EXPIRED: "#6b7280",
    SUPERSEDED: "#6b7280",
}
REQUEUEABLE = {"failed", "stopped", "canceled"}

TABLE_CSS = """
table { border-collapse: collapse; width: 100%; font-size: 0.92em; margin: 0; }
table th, table td { padding: 6px 12px; border: none;
  border-bottom: 1px solid var(--border-color-primary); text-align: right; }
table th { font-weight: 600; color: var(--body-text-color-subdued); background: none; }
table th:first-child, table td:first-child { text-align: left; }
table tr.queue td { font-weight: 600; background: var(--background-fill-secondary); }
table tr.route td:first-child { padding-left: 28px; }
table td.bad { color: #b91c1c; font-weight: 600; }
.tag { display: inline-block; margin-left: 8px; padding: 0 8px; border-radius: 999px;
  font-size: 0.8em; font-weight: 500; background: var(--background-fill-primary);
  border: 1px solid var(--border-color-primary); }
.tag.bad { color: #991b1b; background: #fef2f2; border-color: #fecaca; }
.note { color: var(--body-text-color-subdued); font-size: 0.85em; margin: 6px 0 0; }
.banner { padding: 10px 14px; margin: 4px 0; border-radius: 8px; background: #fef2f2; color: #991b1b;
  border: 1px solid #fecaca; font-weight: 600; }
.badge { display: inline-block; padding: 4px 10px; border-radius: 999px; background: #fef3c7;
  color: #92400e; border: 1px solid #fcd34d; font-weight: 600; font-size: 0.9em; }
.cards { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; }
.card { padding: 12px 16px; border-radius: 10px; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); }
.card .value { font-size: 1.9em; font-weight: 700; line-height: 1.2; }
.card .label { color: var(--body-text-color-subdued); font-size: 0.85em; }
.card.bad { background: #fef2f2; border-color: #fecaca; } .card.bad .value { color: #b91c1c; }
.status { font-weight: 600; }
.bar { display: inline-block; vertical-align: middle; width: 160px; height: 8px; border-radius: 4px;
  background: var(--border-color-primary); overflow: hidden; margin: 0 6px; }
.bar span { display: block; height: 100%; background: #2563eb; }
.detail { display: flex; flex-wrap: wrap; gap: 6px 24px; align-items: center; }
.detail b { font-weight: 600; }
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


def short_moment(value: datetime) -> str:
    """A UTC time to the second without the year, for the events table (events are kept a
    month at most by default)."""
    return value.strftime("%m-%d %H:%M:%S")


def status_label(status: str) -> str:
    """RQ's status as the dashboard says it (``started`` is ``running``)."""
    return STATUS_LABELS.get(status, status)


def progress_text(progress: Progress | None) -> str:
    """``"45% · epoch 3/10"`` for a running job that reported progress; :data:`NONE` otherwise."""
    if progress is None:
        return NONE
    return f"{progress.percent} · {progress.message}" if progress.message else progress.percent


def not_durable_badge() -> str:
    """The badge of the embedded default, whose queue lives and dies with this process."""
    return (
        '<span class="badge" id="hubhooks-not-durable">In-memory queue (embedded default): '
        "not durable. Events are lost when this process stops; set REDIS_URL.</span>"
    )


def stalled_banner(overview: Overview) -> str:
    """A warning per queue where events wait and no live worker serves it; empty otherwise."""
    lines = []
    for queue in overview.stalled:
        count, name = queue.counts.queued, escape(queue.name)
        lines.append(
            f'<div class="banner" data-queue="{name}">{count:,} event{"" if count == 1 else "s"} queued '
            f"on <code>{name}</code> and no worker is alive on it: start "
            f"<code>hubhooks worker APP --queue {name}</code>.</div>"
        )
    return f'<div id="hubhooks-no-worker">{"".join(lines)}</div>' if lines else ""


def summary_cards(overview: Overview) -> str:
    """The totals of every queue at a glance, failures and a missing worker in red."""
    cards = [(title, overview.total(column), column == "failed") for column, title in zip(
        COUNT_COLUMNS, COUNT_TITLES, strict=True
    )]  # fmt: skip
    cards.append(("workers alive", len(overview.workers), bool(overview.stalled)))
    html = "".join(
        f'<div class="card{" bad" if bad and value else ""}" data-card="{escape(title)}">'
        f'<div class="value">{value:,}</div><div class="label">{escape(title)}</div></div>'
        for title, value, bad in cards
    )
    return f'<div class="cards" id="hubhooks-summary">{html}</div>'


def counts_table(overview: Overview) -> str:
    """Each queue's exact counts, each followed by its routes' counts over the window."""
    rows = []
    for queue in overview.queues:
        rows.append(_queue_row(queue))
        for route in overview.routes:
            if route.queue == queue.name:
                rows.append(_count_row(route, route.route, "route", escape(route.route)))
    head = "".join(f"<th>{title}</th>" for title in ("queue / route", *COUNT_TITLES, "oldest queued"))
    covered = (
        f"the newest {overview.window:,}" if overview.window >= ROUTE_WINDOW else f"all {overview.window:,}"
    )
    note = (
        f"Queue rows count every job Redis holds; route rows count {covered} indexed events. "
        '"Scheduled for retry" are failed runs waiting for their next attempt.'
    )
    return (
        f'<table id="hubhooks-counts"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table><p class="note">{note}</p>'
    )


def _queue_row(queue: QueueState) -> str:
    counts = queue.counts
    total = RouteCounts(
        counts.queue,
        counts.queue,
        queued=counts.queued,
        running=counts.running,
        scheduled=counts.scheduled + counts.deferred,
        finished=counts.finished,
        failed=counts.failed,
        oldest_queued_seconds=queue.oldest_queued_seconds,
    )
    workers = len(queue.workers)
    tag = (
        f'<span class="tag{" bad" if queue.stalled else ""}">'
        f"{workers} worker{'' if workers == 1 else 's'}</span>"
    )
    return _count_row(total, f"queue:{counts.queue}", "queue", f"queue {escape(counts.queue)}{tag}")


def _count_row(counts: RouteCounts, key: str, css_class: str, label: str) -> str:
    cells = "".join(
        f'<td data-col="{column}"{_bad(column, getattr(counts, column))}>{getattr(counts, column):,}</td>'
        for column in COUNT_COLUMNS
    )
    oldest = duration(counts.oldest_queued_seconds)
    return (
        f'<tr class="{css_class}" data-row="{escape(key)}"><td>{label}</td>{cells}'
        f'<td data-col="oldest">{oldest}</td></tr>'
    )


def _bad(column: str, value: int) -> str:
    return ' class="bad"' if column == "failed" and value else ""


def workers_table(overview: Overview) -> str:
    """Live workers of the app's queues: name, host, queues, state, job and its progress,
    heartbeat, jobs done and failed."""
    if not overview.workers:
        return '<p class="note" id="hubhooks-workers">No worker is alive on these queues.</p>'
    titles = ("worker", "host", "queues", "state", "current job", "last heartbeat", "done", "failed")
    head = "".join(f"<th>{title}</th>" for title in titles)
    rows = "".join(_worker_row(worker, overview.progress) for worker in overview.workers)
    return f'<table id="hubhooks-workers"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _worker_row(worker: WorkerInfo, progress: dict[str, Progress]) -> str:
    job = worker.current_job
    current = NONE if job is None else escape(job[:8])
    if job is not None and job in progress:
        current += f" · {escape(progress_text(progress[job]))}"
    return (
        f"<tr><td>{escape(worker.name)}</td><td>{escape(worker.hostname)}</td>"
        f"<td>{escape(', '.join(worker.queues))}</td><td>{escape(worker.state)}</td><td>{current}</td>"
        f"<td>{duration(worker.seconds_since_heartbeat)} ago</td>"
        f"<td>{worker.successful_jobs:,}</td><td>{worker.failed_jobs:,}</td></tr>"
    )


def event_rows(page: EventPage) -> list[list[object]]:
    """The events table's rows (the job column shows the id's first 8 characters)."""
    return [_event_row(row) for row in page.rows]


def _event_row(row: EventRow) -> list[object]:
    kind = "/".join(part for part in (row.scope, row.action) if part) or NONE
    return [
        short_moment(row.received_at),
        row.route or NONE,
        row.repo or NONE,
        kind,
        status_label(row.status),
        progress_text(row.progress),
        row.attempts,
        duration(row.duration_seconds),
        row.job_id[:8],
    ]


def events_table(page: EventPage) -> Styler:
    """:func:`event_rows` as a table whose status cells are colored by status."""
    import pandas as pd

    frame = pd.DataFrame(event_rows(page), columns=EVENT_HEADERS)
    return frame.style.map(_status_style, subset=["status"])


def _status_style(label: object) -> str:
    color = STATUS_COLORS.get(str(label))
    return f"color: {color}; font-weight: 600" if color else ""


def page_label(page: EventPage) -> str:
    """``Events 21-40 of 131, newest first`` (with an en dash)."""
    if not page.rows:
        return f"No events yet · {page.total:,} in all" if page.total else "No events yet"
    last = page.first + len(page.rows) - 1
    return f"Events {page.first:,}\N{EN DASH}{last:,} of {page.total:,}, newest first"


def detail_summary(detail: EventDetail | None, job_id: str, now: float | None = None) -> str:
    """What the selected event is: job, status (with the progress of a running one), route,
    queue, received, runs."""
    if detail is None:
        return f'<p id="hubhooks-detail">Job <code>{escape(job_id)}</code> has expired or was deleted.</p>'
    label = status_label(detail.status)
    color = STATUS_COLORS.get(label, "inherit")
    parts = [
        f"<span>Job <code>{escape(detail.job_id)}</code></span>",
        f'<span>Status <b class="status" style="color: {color}">{escape(label)}</b></span>',
        f"<span>Route <b>{escape(detail.route or NONE)}</b></span>",
        f"<span>Queue <b>{escape(detail.queue or NONE)}</b></span>",
        f"<span>Received <b>{moment(detail.received_at)}</b> UTC</span>",
        f"<span>Runs <b>{detail.runs}</b></span>",
    ]
    if detail.superseded_by:
        replaced = f"<code>{escape(detail.superseded_by)}</code>"
        parts.append(f"<span>Superseded by {replaced}, a newer event for the same key</span>")
    if detail.progress is not None:
        parts.append(_progress_bar(detail.progress, time.time() if now is None else now))
    status = escape(detail.status)
    return f'<div class="detail" id="hubhooks-detail" data-status="{status}">{"".join(parts)}</div>'


def _progress_bar(progress: Progress, now: float) -> str:
    width = max(0.0, min(100.0, progress.fraction * 100))
    message = f" {escape(progress.message)}" if progress.message else ""
    ago = duration(max(0.0, now - progress.at))
    return (
        f'<span id="hubhooks-progress">Progress <span class="bar"><span style="width: {width:.1f}%">'
        f"</span></span><b>{progress.percent}</b>{message} <small>({ago} ago)</small></span>"
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
