"""The dashboard tab on a real ``hubhooks serve``: public landing page, private data and actions."""

from __future__ import annotations

import json

import httpx
from redis import Redis
from rq.job import Job

from tests.conftest import SECRET
from tests.dashboard.conftest import APP, body_for

PASSWORD = "dashboard-password-for-tests"
PRIVATE_REPO = "acme/private-model-for-tests"


def call(url: str, api_name: str, data: list[object]) -> tuple[str, list[object]]:
    """Call a Gradio endpoint through its public HTTP API, as any visitor could; the last event."""
    started = httpx.post(f"{url}/gradio_api/call/{api_name}", json={"data": data}, timeout=30)
    assert started.status_code == 200, started.text
    stream = httpx.get(f"{url}/gradio_api/call/{api_name}/{started.json()['event_id']}", timeout=60).text
    event = data_line = ""
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data_line = line.removeprefix("data:").strip()
    return event, json.loads(data_line) if data_line else []


def accept(url: str, route: str, body: str) -> str:
    answer = httpx.post(
        f"{url}/webhooks/{route}", content=body, headers={"X-Webhook-Secret": SECRET}, timeout=10
    )
    assert answer.status_code == 202, answer.text
    return answer.json()["job_id"]


def test_without_logging_in_the_dashboards_api_gives_no_data_and_changes_nothing(redis_url, front_end):
    server = front_end(redis_url, app=APP, env={"HUBHOOKS_DASHBOARD_PASSWORD": PASSWORD})
    job_id = accept(server.url, "always_fails", body_for(repo=PRIVATE_REPO))

    for api_name, data in [
        ("dashboard_refresh", []),
        ("dashboard_older", []),
        ("dashboard_event", [job_id]),
        ("dashboard_delete", []),
        ("dashboard_replay", []),
        ("dashboard_requeue_route", []),
    ]:
        event, outputs = call(server.url, api_name, data)
        assert event == "complete", (api_name, outputs)
        text = json.dumps(outputs)
        assert PRIVATE_REPO not in text and job_id not in text and "/webhooks/" not in text, api_name

    event, outputs = call(server.url, "dashboard_refresh", [])
    assert outputs[0] == "Log in to see the dashboard."
    assert outputs[6]["data"] == []  # the events table
    event, outputs = call(server.url, "dashboard_login", ["not the password"])
    assert event == "complete" and "Wrong password." in outputs
    assert Redis.from_url(redis_url).exists(Job.key_for(job_id))


def test_the_landing_page_is_public_and_the_dashboard_tab_stands_next_to_it(redis_url, front_end):
    server = front_end(redis_url, app=APP)
    assert httpx.get(server.url + "/", timeout=10).status_code == 200
    config = httpx.get(server.url + "/config", timeout=10).json()
    tabs = [c["props"]["label"] for c in config["components"] if c["type"] == "tabitem"]
    assert tabs == ["Webhooks", "Dashboard"]
    markdown = " ".join(str(c["props"].get("value")) for c in config["components"] if c["type"] == "markdown")
    assert "registered webhooks" in markdown and "/webhooks/fails_once" in markdown
    assert "not durable" not in json.dumps(config)


def test_a_users_own_ui_keeps_its_events_beside_the_dashboard(redis_url, front_end):
    server = front_end(redis_url, app="tests/dashboard/custom_ui_app.py")
    config = httpx.get(server.url + "/config", timeout=10).json()
    tabs = [c["props"]["label"] for c in config["components"] if c["type"] == "tabitem"]
    assert tabs == ["My webhooks", "Dashboard"]
    assert config["title"] == "My webhooks"
    assert call(server.url, "shout", ["hello"]) == ("complete", ["HELLO!"])


def test_the_embedded_default_shows_the_not_durable_badge(front_end):
    server = front_end(None, app=APP)
    config = json.dumps(httpx.get(server.url + "/config", timeout=10).json())
    assert "not durable" in config and "hubhooks-not-durable" in config
