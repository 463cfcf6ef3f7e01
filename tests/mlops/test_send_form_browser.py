"""The "Send a test event" form driven in headless Chromium, as a visitor uses it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import SECRET, ran_events, wait_until
from tests.dashboard.test_browser import browser, page, screenshot  # noqa: F401  (fixtures)

APP = "tests/apps/mlops_app.py"


@pytest.mark.timeout(240)
def test_a_visitor_sends_a_test_event_with_the_secret_and_sees_it_accepted(
    redis_url,
    front_end,
    worker,
    page,  # noqa: F811
):
    server = front_end(redis_url, app=APP)
    worker(redis_url, APP)
    page.goto(server.url)

    page.get_by_text("Send a test event to POST /webhooks/everything").click()
    page.locator("#hubhooks-send-button-everything").click()
    answer = page.locator("#hubhooks-send-answer-everything")
    expect(answer).to_contain_text("x-webhook-secret header not set.")

    page.locator("#hubhooks-send-secret-everything input").fill(SECRET)
    page.locator("#hubhooks-send-button-everything").click()
    expect(answer).to_contain_text("accepted")
    screenshot(page, "send-test-event.png")
    [ran] = wait_until(lambda: ran_events(redis_url))
    assert (ran["handler"], ran["repo"]) == ("everything", "user/model")
