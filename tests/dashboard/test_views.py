"""What the dashboard's components show, from the data layer's values."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from service.dashboard import views
from service.dashboard.activity import Activity
from service.dashboard.counts import ROUTE_WINDOW, Overview, QueueState, RouteCounts
from service.dashboard.events import Cursor, EventDetail, EventPage, EventRow
from service.jobs import QueueCounts, WorkerInfo
from service.progress import Progress

AT = datetime(2024, 5, 1, 12, 30, 5, tzinfo=timezone.utc)
HALF = Progress(0.5, "epoch <2>/4", attempt=1, at=1_700_000_000.0)


def worker(
    name: str = "w1", queues: tuple[str, ...] = ("hubhooks",), job: str | None = "job-1"
) -> WorkerInfo:
    return WorkerInfo(name, "host-a", 42, "busy", list(queues), job, 3.2, 10, 2)


def overview(
    queued: int = 0, gpu_queued: int = 0, workers: list[WorkerInfo] | None = None, window: int = 3
) -> Overview:
    workers = workers or []
    return Overview(
        queues=[
            QueueState(
                QueueCounts("hubhooks", queued, 1, 2, 1, 30, 4),
                75.0 if queued else None,
                [w for w in workers if "hubhooks" in w.queues],
            ),
            QueueState(
                QueueCounts("gpu", gpu_queued, 0, 0, 0, 5, 0),
                None,
                [w for w in workers if "gpu" in w.queues],
            ),
        ],
        routes=[
            RouteCounts(
                "/webhooks/<b>x</b>", "hubhooks", queued=queued, failed=4, oldest_queued_seconds=75.0
            ),
            RouteCounts("/webhooks/train", "gpu", queued=gpu_queued, finished=5),
        ],
        window=window,
        workers=workers,
        progress={"job-1": HALF},
    )


def row(status: str = "failed", progress: Progress | None = None) -> EventRow:
    return EventRow(
        "0123456789abcdef", AT, "/webhooks/ok", "org/a", "repo.content", "update", status, 2, 1.5, "hubhooks",
        progress,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, views.NONE), (0.25, "250ms"), (3.21, "3.2s"), (42, "42s"), (184, "3m 04s"), (7500, "2h 05m")],
)
def test_durations_read_at_a_glance(seconds, text):
    assert views.duration(seconds) == text


def test_the_counts_table_has_each_queue_then_its_routes_escaped():
    html = views.counts_table(overview(queued=3, gpu_queued=2))
    queue_row = html.index('data-row="queue:hubhooks"')
    route_row = html.index('data-row="/webhooks/&lt;b&gt;x&lt;/b&gt;"')
    gpu_row = html.index('data-row="queue:gpu"')
    train_row = html.index('data-row="/webhooks/train"')
    assert queue_row < route_row < gpu_row < train_row
    assert '<td data-col="queued">3</td>' in html and '<td data-col="failed" class="bad">4</td>' in html
    assert '<td data-col="scheduled">3</td>' in html  # scheduled + deferred
    assert '<td data-col="oldest">1m 15s</td>' in html
    assert "<b>x</b>" not in html
    assert "all 3 indexed events" in html
    assert f"the newest {ROUTE_WINDOW:,}" in views.counts_table(overview(window=ROUTE_WINDOW))


def test_each_queue_row_says_how_many_workers_serve_it():
    html = views.counts_table(overview(gpu_queued=1, workers=[worker()]))
    assert '<span class="tag">1 worker</span>' in html
    assert '<span class="tag bad">0 workers</span>' in html  # gpu waits with nobody on it


def test_the_banner_names_each_queue_with_events_and_no_live_worker():
    banner = views.stalled_banner(overview(queued=2, gpu_queued=1, workers=[worker()]))
    assert 'data-queue="gpu"' in banner and 'data-queue="hubhooks"' not in banner
    assert "1 event queued on <code>gpu</code> and no worker is alive" in banner
    assert "hubhooks worker APP --queue gpu" in banner
    both = views.stalled_banner(overview(queued=2, gpu_queued=1))
    assert "2 events queued on <code>hubhooks</code>" in both and 'data-queue="gpu"' in both
    assert views.stalled_banner(overview(queued=2, workers=[worker()])) == ""
    assert views.stalled_banner(overview()) == ""


def test_the_summary_cards_total_every_queue_and_flag_failures():
    html = views.summary_cards(overview(queued=3, gpu_queued=2, workers=[worker()]))
    assert '<div class="card" data-card="queued"><div class="value">5</div>' in html
    assert '<div class="card bad" data-card="failed"><div class="value">4</div>' in html
    assert '<div class="card" data-card="finished"><div class="value">35</div>' in html
    assert '<div class="card bad" data-card="workers alive"><div class="value">1</div>' in html  # gpu stalls


def test_the_workers_table_lists_each_worker_with_its_queues_and_job_progress():
    html = views.workers_table(overview(workers=[worker("w<1>", ("hubhooks", "gpu"))]))
    assert "w&lt;1&gt;" in html and "host-a" in html and "busy" in html and "hubhooks, gpu" in html
    assert "job-1 · 50% · epoch &lt;2&gt;/4" in html
    assert "<td>10</td><td>2</td>" in html and "3.2s ago" in html
    assert "No worker is alive" in views.workers_table(overview())


def test_event_rows_show_running_for_started_and_its_progress():
    page = EventPage(
        [
            row(),
            row("started", HALF),
            EventRow("fedcba9876543210", AT, None, None, None, None, "expired", 0, None),
        ],
        newer=20,
        total=45,
        next=Cursor(1.0, "x"),
    )
    rows = views.event_rows(page)
    assert rows[0] == [
        "05-01 12:30:05", "/webhooks/ok", "org/a", "repo.content/update", "failed", views.NONE, 2,
        "1.5s", "01234567",
    ]  # fmt: skip
    assert (rows[1][4], rows[1][5]) == ("running", "50% · epoch <2>/4")  # a table cell is text, not HTML
    assert rows[2][1:6] == [views.NONE, views.NONE, views.NONE, "expired", views.NONE]
    assert views.page_label(page) == "Events 21\N{EN DASH}23 of 45, newest first"
    assert views.page_label(EventPage([], 0, 0, None)) == "No events yet"


def test_the_events_table_colors_each_status():
    page = EventPage([row("failed"), row("started", HALF), row("finished")], 0, 3, None)
    styled = views.events_table(page)
    html = styled.to_html()
    assert views.STATUS_COLORS["failed"] in html and views.STATUS_COLORS["running"] in html
    assert list(styled.data.columns) == views.EVENT_HEADERS


def test_the_detail_shows_a_running_jobs_progress_bar():
    detail = EventDetail(
        "job-1", "started", "/webhooks/train", AT, "{}", None, None, 1, [], queue="gpu", progress=HALF
    )
    html = views.detail_summary(detail, "job-1", now=HALF.at + 12)
    assert 'data-status="started"' in html and ">running</b>" in html
    assert "Queue <b>gpu</b>" in html
    assert 'style="width: 50.0%"' in html and "<b>50%</b> epoch &lt;2&gt;/4" in html and "(12s ago)" in html
    finished = EventDetail("job-1", "finished", "/webhooks/train", AT, "{}", '"ok"', None, 1, [], queue="gpu")
    assert "hubhooks-progress" not in views.detail_summary(finished, "job-1")
    assert "has expired or was deleted" in views.detail_summary(None, "job-2")


def test_the_not_durable_badge_says_so():
    assert "not durable" in views.not_durable_badge()


def test_the_plot_frame_has_one_row_per_minute_and_outcome_and_a_flood_is_noted():
    activity = Activity([(AT, "finished", 2), (AT, "failed", 1)], read=3, total=3)
    assert views.plot_caption(activity) is None
    assert "newest 3 of the 9 events" in views.plot_caption(Activity(activity.buckets, read=3, total=9))
    frame = views.plot_frame(activity)
    assert list(frame.columns) == ["minute", "outcome", "events"]
    assert frame["events"].tolist() == [2, 1]
    assert str(frame["minute"].iloc[0]) == "2024-05-01 12:30:05"
