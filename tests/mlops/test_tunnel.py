"""The local tunnel: a Gradio share link only with a webhook secret; a failure never stops the
server. This machine has no internet, so no link really opens here: the end-to-end tests point
Gradio at a share server that is not there."""

from __future__ import annotations

import sys
import threading

import httpx
import pytest

from service.tunnel import ShareOptions, open_share_link
from tests.conftest import ROOT, SECRET, free_port, hubhooks, load_payload, wait_until

SHARE_APP = "tests/apps/share_app.py"


class RecordingOpener:
    """Stands in for Gradio's tunnel set-up: records each call, answers as told."""

    def __init__(self, answer: str | Exception | None = None, hang: bool = False) -> None:
        self.calls: list[tuple] = []
        self.answer = answer
        self.release = threading.Event()
        self.hang = hang

    def __call__(self, host, port, token, address, certificate) -> str:
        self.calls.append((host, port, address, certificate))
        if self.hang:
            self.release.wait(10)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer or ""


def test_without_a_secret_no_tunnel_is_attempted_and_the_reason_is_printed(capsys, monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)
    opener = RecordingOpener("abc.gradio.live")

    url = open_share_link("127.0.0.1", 7860, secret_is_set=False, options=ShareOptions(), opener=opener)

    assert url is None and opener.calls == []
    printed = capsys.readouterr().out
    assert "Share link NOT opened: this server has no webhook secret" in printed
    assert "WEBHOOK_SECRET" in printed


def test_with_a_secret_the_link_opens_and_its_https_url_is_returned(capsys, monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)
    opener = RecordingOpener("abc123.gradio.live")

    url = open_share_link("0.0.0.0", 7861, secret_is_set=True, options=ShareOptions(), opener=opener)

    assert url == "https://abc123.gradio.live"
    assert opener.calls == [("127.0.0.1", 7861, None, None)]
    printed = capsys.readouterr().out
    assert "Share link open: https://abc123.gradio.live (forwards to http://127.0.0.1:7861" in printed


def test_a_custom_share_server_gets_http_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)

    plain = open_share_link(
        "127.0.0.1", 1, True, ShareOptions(server_address="frp.example:7000"), RecordingOpener("x.example")
    )
    tls = open_share_link(
        "127.0.0.1",
        1,
        True,
        ShareOptions(server_address="frp.example:7000", server_protocol="https"),
        RecordingOpener("http://x.example/"),
    )

    assert (plain, tls) == ("http://x.example", "https://x.example")


def test_a_failing_or_hanging_tunnel_is_reported_and_returns_none(capsys, monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)
    hanging = RecordingOpener("late.gradio.live", hang=True)

    failed = open_share_link("127.0.0.1", 1, True, ShareOptions(), RecordingOpener(OSError("no route")))
    late = open_share_link("127.0.0.1", 1, True, ShareOptions(), hanging, timeout=0.2)
    hanging.release.set()

    assert failed is None and late is None
    printed = capsys.readouterr().out
    assert "Share link could not be opened (OSError: no route)." in printed
    assert "Share link could not be opened (no answer within 0 s)." in printed
    assert "Serving locally only, at http://127.0.0.1:1." in printed


def test_on_a_space_no_tunnel_is_attempted(capsys, monkeypatch):
    monkeypatch.setenv("SPACE_ID", "user/space")
    opener = RecordingOpener("abc.gradio.live")

    assert open_share_link("0.0.0.0", 7860, True, ShareOptions(), opener) is None
    assert opener.calls == [] and "already public" in capsys.readouterr().out


# End to end: a script calling launch(share=True), and `hubhooks serve --share`


def start(spawn, command: list[str], env: dict[str, str], port: int):
    process = spawn(command, {**env, "GRADIO_SERVER_PORT": str(port)}, name="share")
    process.url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.popen.poll() is not None:
            pytest.fail(f"server exited with {process.popen.returncode}:\n{process.output()}")
        try:
            return httpx.get(process.url + "/docs", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(answers, timeout=90, interval=0.2)
    return process


@pytest.mark.timeout(180)
def test_launch_share_with_a_secret_tries_the_tunnel_reports_the_failure_and_serves_locally(redis_url, spawn):
    env = {
        "REDIS_URL": redis_url,
        "WEBHOOK_SECRET": SECRET,
        "SHARE_SERVER": f"127.0.0.1:{free_port()}",
        "PYTHONPATH": str(ROOT),  # a script's own folder comes first on sys.path: import this checkout
    }
    server = start(spawn, [sys.executable, SHARE_APP], env, free_port())

    answer = httpx.post(
        f"{server.url}/webhooks/shared",
        json=load_payload("repo-content-updated-refs.json"),
        headers={"X-Webhook-Secret": SECRET},
        timeout=10,
    )

    assert answer.status_code == 202, answer.text
    output = server.output()
    assert "Opening a Gradio share link" in output
    assert "Share link could not be opened (" in output
    assert f"Serving locally only, at {server.url}." in output
    assert f"POST {server.url}/webhooks/shared" in output  # the ready lines show the local URL


@pytest.mark.timeout(180)
def test_serve_share_without_a_secret_keeps_the_tunnel_closed_and_says_why(redis_url, spawn):
    port = free_port()
    env = {"REDIS_URL": redis_url, "WEBHOOK_SECRET": "", "SHARE_SERVER": f"127.0.0.1:{free_port()}"}
    server = start(spawn, hubhooks("serve", SHARE_APP, "--share", "--port", str(port)), env, port)

    output = server.output()
    assert "Share link NOT opened: this server has no webhook secret" in output
    assert "Opening a Gradio share link" not in output and "could not be opened" not in output
