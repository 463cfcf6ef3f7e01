"""What the dashboard's components show, from the data layer's values."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from service.dashboard import views
from service.dashboard.activity import Activity
from service.dashboard.counts import ROUTE_WINDOW, Overview, RouteCounts
from service.dashboard.events import EventPage, EventRow
from service.jobs import QueueCounts, WorkerInfo

AT = datetime(2024, 5, 1, 12, 30, 5, tzinfo=timezone.utc)


def overview(queued: int = 0, workers: list[WorkerInfo] | None = None, window: int = 3) -> Overview:
    return Overview(
        queue=QueueCounts("hubhooks", queued, 1, 2, 0, 30, 4),
        oldest_queued_seconds=75.0 if queued else None,
        routes=[RouteCounts("/webhooks/<b>x</b>", queued=queued, failed=4, oldest_queued_seconds=75.0)],
        window=window,
        workers=workers or [],
    )


def worker(name: str = "w1") -> WorkerInfo:
    return WorkerInfo(name, "host-a", 42, "busy", ["hubhooks"], "job-1", 3.2, 10, 2)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, views.NONE), (0.25, "250ms"), (3.21, "3.2s"), (42, "42s"), (184, "3m 04s"), (7500, "2h 05m")],
)
def test_durations_read_at_a_glance(seconds, text):
    assert views.duration(seconds) == text


def test_the_counts_table_has_the_queue_row_then_routes_escaped():
    html = views.counts_table(overview(queued=3))
    assert '<tr class="total" data-row="queue">' in html
    assert '<td data-col="queued">3</td>' in html and '<td data-col="failed">4</td>' in html
    assert '<td data-col="scheduled">2</td>' in html and '<td data-col="oldest">1m 15s</td>' in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "all 3 indexed events" in html
    assert f"the newest {ROUTE_WINDOW:,}" in views.counts_table(overview(window=ROUTE_WINDOW))


def test_the_banner_shows_only_when_events_wait_and_no_worker_lives():
    assert "no worker is alive" in views.stalled_banner(overview(queued=2))
    assert views.stalled_banner(overview(queued=2, workers=[worker()])) == ""
    assert views.stalled_banner(overview(queued=0)) == ""


def test_the_workers_table_lists_each_worker():
    html = views.workers_table([worker("w<1>")])
    assert "w&lt;1&gt;" in html and "host-a" in html and "busy" in html and "job-1" in html
    assert "<td>10</td><td>2</td>" in html and "3.2s ago" in html
    assert "No worker is alive" in views.workers_table([])


def test_event_rows_and_the_page_label():
    rows = [
        EventRow("0123456789abcdef", AT, "/webhooks/ok", "org/a", "repo.content", "update", "failed", 2, 1.5),
        EventRow("fedcba9876543210", AT, None, None, None, None, "expired", 0, None),
    ]
    page = EventPage(rows, page=1, page_size=2, total=5)
    assert views.event_rows(page) == [
        [
            "2024-05-01 12:30:05",
            "/webhooks/ok",
            "org/a",
            "repo.content/update",
            "failed",
            2,
            "1.5s",
            "01234567",
        ],
        ["2024-05-01 12:30:05", views.NONE, views.NONE, views.NONE, "expired", 0, views.NONE, "fedcba98"],
    ]
    assert views.page_label(page) == "Page 2 of 3 · 5 events"


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
