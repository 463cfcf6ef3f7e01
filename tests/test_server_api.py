"""The upstream-shaped API: ``WebhooksServer``, ``@webhook_endpoint`` and the startup lines.

Nothing here starts a server: ``launch()`` is never reached, and ``@webhook_endpoint``'s
exit-time start is switched off for each test that decorates.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

import service.endpoint
from service import WebhookPayload, WebhooksServer, webhook_endpoint
from service.console import (
    HUB_SECRET_DOCS,
    HUB_WEBHOOK_SETTINGS,
    public_url,
    ready_lines,
    secret_status_lines,
)

SECRET = "do-not-print-me-4217"


def say_hello(payload: WebhookPayload) -> None: ...


def other(payload: WebhookPayload) -> None: ...


# WebhooksServer.add_webhook


def test_add_webhook_bare_returns_the_very_same_function():
    app = WebhooksServer()

    assert app.add_webhook(say_hello) is say_hello


def test_add_webhook_bare_registers_the_function_name_under_webhooks():
    app = WebhooksServer()

    app.add_webhook(say_hello)

    assert list(app.handlers) == ["/webhooks/say_hello"]
    assert app.handlers["/webhooks/say_hello"].function is say_hello


def test_add_webhook_with_path_returns_the_very_same_function():
    app = WebhooksServer()

    assert app.add_webhook("/greet")(say_hello) is say_hello


def test_add_webhook_with_path_registers_the_path_under_webhooks():
    app = WebhooksServer()

    app.add_webhook("/greet/")(say_hello)

    assert list(app.handlers) == ["/webhooks/greet"]


def test_add_webhook_used_as_decorators_keeps_both_functions_usable():
    app = WebhooksServer()

    @app.add_webhook
    def first(payload: WebhookPayload) -> str:
        return "first"

    @app.add_webhook("second")
    def second(payload: WebhookPayload) -> str:
        return "second"

    assert first(None) == "first"
    assert second(None) == "second"
    assert sorted(app.handlers) == ["/webhooks/first", "/webhooks/second"]


def test_add_webhook_with_policy_keywords_sets_the_endpoint_policy():
    app = WebhooksServer()

    app.add_webhook("greet", retries=0, dedup_window=0)(say_hello)

    policy = app.handlers["/webhooks/greet"].policy
    assert (policy.retries, policy.dedup_window) == (0, 0)


def test_add_webhook_twice_on_one_route_raises_value_error_naming_the_route():
    app = WebhooksServer()
    app.add_webhook(say_hello)

    with pytest.raises(ValueError, match="'/webhooks/say_hello'"):
        app.add_webhook("/say_hello/")(other)


def test_add_webhook_conflict_keeps_the_first_handler():
    app = WebhooksServer()
    app.add_webhook("greet")(say_hello)

    with pytest.raises(ValueError):
        app.add_webhook("greet")(other)

    assert app.handlers["/webhooks/greet"].function is say_hello


# WebhooksServer: secret, repr, run


def test_webhook_secret_given_is_kept_as_secret_str():
    app = WebhooksServer(webhook_secret=SECRET)

    assert isinstance(app.webhook_secret, SecretStr)
    assert app.webhook_secret.get_secret_value() == SECRET


def test_webhook_secret_not_given_is_none_until_start():
    assert WebhooksServer().webhook_secret is None


def test_repr_does_not_contain_the_secret():
    app = WebhooksServer(webhook_secret=SECRET)
    app.add_webhook(say_hello)

    text = repr(app)

    assert SECRET not in text
    assert "/webhooks/say_hello" in text


def test_run_exists_as_upstream_alias_of_launch():
    assert callable(WebhooksServer.run)


def test_run_delegates_to_launch_with_the_same_arguments(monkeypatch):
    app = WebhooksServer()
    calls: list[tuple[bool, dict[str, Any]]] = []
    monkeypatch.setattr(
        app, "launch", lambda prevent_thread_lock=False, **kwargs: calls.append((prevent_thread_lock, kwargs))
    )

    app.run(prevent_thread_lock=True, server_port=7861)

    assert calls == [(True, {"server_port": 7861})]


# webhook_endpoint (the module-level shared server)


@pytest.fixture
def shared_server_state(monkeypatch):
    """A fresh shared server for one test, with no start at exit; module state restored after."""
    monkeypatch.setattr(service.endpoint, "_start_at_exit", False)
    monkeypatch.setattr(service.endpoint, "_default_server", None)


def test_webhook_endpoint_bare_returns_the_function(shared_server_state):
    def on_push(payload: WebhookPayload) -> None: ...

    assert webhook_endpoint(on_push) is on_push


def test_webhook_endpoint_with_path_returns_the_function(shared_server_state):
    def on_push(payload: WebhookPayload) -> None: ...

    assert webhook_endpoint("/pushes/")(on_push) is on_push


def test_webhook_endpoint_gives_the_function_launch_and_run(shared_server_state):
    def on_push(payload: WebhookPayload) -> None: ...

    webhook_endpoint(on_push)

    assert callable(on_push.launch)
    assert callable(on_push.run)


def test_webhook_endpoint_functions_share_one_server(shared_server_state):
    def on_push(payload: WebhookPayload) -> None: ...

    def on_pr(payload: WebhookPayload) -> None: ...

    webhook_endpoint(on_push)
    webhook_endpoint("pull_requests")(on_pr)

    server = service.endpoint.default_server_if_created()
    assert server is not None
    assert sorted(server.handlers) == ["/webhooks/on_push", "/webhooks/pull_requests"]


def test_webhook_endpoint_run_launches_the_shared_server_and_cancels_the_exit_start(
    shared_server_state, monkeypatch
):
    def on_push(payload: WebhookPayload) -> None: ...

    webhook_endpoint(on_push)
    server = service.endpoint.default_server_if_created()
    assert server is not None
    calls: list[bool] = []
    monkeypatch.setattr(server, "launch", lambda prevent_thread_lock=False, **kwargs: calls.append(True))
    monkeypatch.setattr(service.endpoint, "_start_at_exit", True)

    on_push.run()

    assert calls == [True]
    assert service.endpoint._start_at_exit is False


# console: the lines printed at start


def test_secret_status_with_a_secret_says_it_is_correctly_defined():
    assert secret_status_lines(True) == ["Webhook secret is correctly defined."]


def test_secret_status_without_a_secret_warns_and_says_how_to_set_one():
    text = "\n".join(secret_status_lines(False))

    assert "open to everyone" in text
    assert "WEBHOOK_SECRET" in text
    assert "webhook_secret=" in text
    assert HUB_SECRET_DOCS in text


def test_ready_lines_list_one_post_line_per_route_then_the_settings_page():
    lines = ready_lines("http://127.0.0.1:7860", ["/webhooks/a", "/webhooks/b"])

    assert lines == [
        "",
        "Webhooks are correctly setup and ready to use:",
        "  - POST http://127.0.0.1:7860/webhooks/a",
        "  - POST http://127.0.0.1:7860/webhooks/b",
        f"Go to {HUB_WEBHOOK_SETTINGS} to setup your webhooks.",
    ]


def test_public_url_on_a_space_is_https_space_host(monkeypatch):
    monkeypatch.setenv("SPACE_HOST", "user-app.hf.space")

    assert public_url("0.0.0.0", 7860) == "https://user-app.hf.space"


def test_public_url_locally_shows_all_interfaces_as_loopback(monkeypatch):
    monkeypatch.delenv("SPACE_HOST", raising=False)

    assert public_url("0.0.0.0", 7860) == "http://127.0.0.1:7860"


def test_public_url_locally_keeps_an_explicit_host_and_port(monkeypatch):
    monkeypatch.delenv("SPACE_HOST", raising=False)

    assert public_url("192.168.1.5", 8000) == "http://192.168.1.5:8000"
