"""The dashboard driven in headless Chromium (Debian's ``chromium``) through Playwright.

Playwright's own browsers are never downloaded: it launches the system's Chromium. Each test
saves a screenshot under ``artifacts/`` (git-ignored).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from redis import Redis

from tests.conftest import ROOT
from tests.dashboard.conftest import APP, body_for
from tests.dashboard.dashboard_app import RELEASE_KEY
from tests.dashboard.test_front_end import PASSWORD, accept

ARTIFACTS = ROOT / "artifacts"
WAIT_MS = 45_000  # a refresh every 5 s, on a machine shared with other test runs


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "chromium is not installed: apt-get install chromium (scripts/test does)"
    with sync_playwright() as playwright:
        # --no-sandbox: Chromium's sandbox refuses to start as root, which CI runs as.
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    yield opened
    context.close()


def cell(page: Page, row: str, column: str):
    return page.locator(f'#hubhooks-counts tr[data-row="{row}"] td[data-col="{column}"]')


def event_cell(page: Page, text: str):
    """The first cell of the events table showing ``text`` (Gradio also keeps hidden copies)."""
    return page.locator('#hubhooks-events [data-testid^="cell-"]').get_by_text(text, exact=True).first


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.mark.timeout(300)
def test_log_in_watch_events_open_a_traceback_requeue_it_and_see_it_finish(
    redis_url, front_end, worker, page
):
    server = front_end(redis_url, app=APP, env={"HUBHOOKS_DASHBOARD_PASSWORD": PASSWORD})
    page.goto(server.url)
    expect(page.get_by_text("registered webhooks")).to_be_visible()  # the landing page is public
    screenshot(page, "landing.png")

    page.get_by_role("tab", name="Dashboard").click()
    expect(page.locator("#hubhooks-password input")).to_be_visible()
    expect(page.locator("#hubhooks-counts")).to_have_count(0)
    page.locator("#hubhooks-password input").fill("not the password")
    page.locator("#hubhooks-login").click()
    expect(page.locator("#hubhooks-login-message")).to_contain_text("Wrong password.")
    page.locator("#hubhooks-password input").fill(PASSWORD)
    page.locator("#hubhooks-login").click()
    expect(cell(page, "/webhooks/ok", "finished")).to_have_text("0")

    accept(server.url, "ok", body_for(repo="org/first"))  # no worker yet: it waits
    expect(cell(page, "queue:hubhooks", "queued")).to_have_text("1")
    expect(page.locator("#hubhooks-no-worker")).to_contain_text("no worker is alive")

    worker(redis_url, APP)
    expect(cell(page, "/webhooks/ok", "finished")).to_have_text("1")
    expect(page.locator("#hubhooks-no-worker")).to_have_count(0)
    expect(page.locator("#hubhooks-workers")).to_contain_text("idle")

    accept(server.url, "fails_once", body_for(repo="org/broken"))
    expect(cell(page, "/webhooks/fails_once", "failed")).to_have_text("1")
    event_cell(page, "failed").click()
    expect(page.locator("#hubhooks-traceback")).to_contain_text(
        "fails_once failed on attempt 1 for org/broken"
    )
    expect(page.locator("#hubhooks-payload")).to_contain_text("org/broken")
    screenshot(page, "dashboard-failed-job.png")

    page.locator("#hubhooks-requeue").click()
    expect(page.locator("#hubhooks-action-message")).to_contain_text("Requeued job")
    expect(page.locator("#hubhooks-detail")).to_have_attribute("data-status", "finished")
    expect(page.locator("#hubhooks-detail")).to_contain_text("Runs 2")
    expect(page.locator("#hubhooks-result")).to_contain_text("ok on attempt 2")
    expect(cell(page, "/webhooks/fails_once", "failed")).to_have_text("0")
    expect(cell(page, "/webhooks/fails_once", "finished")).to_have_text("1")
    screenshot(page, "dashboard.png")


@pytest.mark.timeout(300)
def test_requeue_all_of_a_route_asks_first_then_replay_and_delete(redis_url, front_end, worker, page):
    server = front_end(redis_url, app=APP, env={"HUBHOOKS_DASHBOARD_PASSWORD": PASSWORD})
    worker(redis_url, APP)
    for number in range(2):
        accept(server.url, "fails_once", body_for(repo=f"org/{number}"))
    accept(server.url, "always_fails", body_for(repo="org/other"))
    page.goto(server.url)
    page.get_by_role("tab", name="Dashboard").click()
    page.locator("#hubhooks-password input").fill(PASSWORD)
    page.locator("#hubhooks-password input").press("Enter")
    expect(cell(page, "queue:hubhooks", "failed")).to_have_text("3")

    page.get_by_text("Requeue every failed job of a route").click()
    page.get_by_label("Route").click()
    page.get_by_role("option", name="/webhooks/fails_once").click()
    page.locator("#hubhooks-requeue-route").click()
    expect(page.locator("#hubhooks-confirm-text")).to_contain_text(
        "Requeue the 2 failed jobs of /webhooks/fails_once?"
    )
    expect(cell(page, "queue:hubhooks", "failed")).to_have_text(
        "3"
    )  # nothing happens before the confirmation
    page.locator("#hubhooks-confirm").click()
    expect(page.locator("#hubhooks-route-message")).to_contain_text("Requeued 2 failed job(s)")
    expect(cell(page, "/webhooks/fails_once", "finished")).to_have_text("2")
    expect(cell(page, "/webhooks/always_fails", "failed")).to_have_text("1")

    event_cell(page, "org/other").click()
    expect(page.locator("#hubhooks-detail")).to_have_attribute("data-status", "failed")
    page.locator("#hubhooks-replay").click()
    expect(page.locator("#hubhooks-action-message")).to_contain_text("Replayed as job")
    expect(cell(page, "/webhooks/always_fails", "failed")).to_have_text("2")  # the replay failed too
    page.locator("#hubhooks-delete").click()
    expect(page.locator("#hubhooks-action-message")).to_contain_text("Deleted job")
    expect(page.locator("#hubhooks-detail")).to_contain_text("has expired or was deleted")
    expect(cell(page, "/webhooks/always_fails", "failed")).to_have_text("1")
    expect(page.locator("#hubhooks-page")).to_contain_text("of 3, newest first")

    accept(server.url, "on_gpu", body_for(repo="org/gpu"))  # no worker serves "gpu"
    expect(page.locator('#hubhooks-no-worker [data-queue="gpu"]')).to_contain_text("1 event queued on gpu")
    expect(cell(page, "queue:gpu", "queued")).to_have_text("1")
    trains = accept(server.url, "trains", body_for(repo="org/big-model"))
    expect(event_cell(page, "25% · epoch 1/4 on org/big-model")).to_be_visible()
    event_cell(page, trains[:8]).click()
    expect(page.locator("#hubhooks-progress")).to_contain_text("25% epoch 1/4 on org/big-model")
    expect(page.locator("#hubhooks-delete")).to_be_disabled()  # a running job cannot be deleted
    screenshot(page, "dashboard-progress.png")
    Redis.from_url(redis_url).rpush(RELEASE_KEY + trains, "go")
    expect(page.locator("#hubhooks-detail")).to_have_attribute("data-status", "finished")
    expect(page.locator("#hubhooks-progress")).to_have_count(0)


@pytest.mark.timeout(300)
def test_the_embedded_default_shows_its_badge_and_counts_live(front_end, page):
    server = front_end(None, app=APP, env={"HUBHOOKS_DASHBOARD_OPEN": "1"})
    page.goto(server.url)
    page.get_by_role("tab", name="Dashboard").click()
    expect(page.locator("#hubhooks-not-durable")).to_contain_text("not durable")
    expect(cell(page, "/webhooks/ok", "finished")).to_have_text("0")  # open: no password asked
    accept(server.url, "ok", body_for())
    expect(cell(page, "/webhooks/ok", "finished")).to_have_text("1")
    screenshot(page, "dashboard-embedded.png")
