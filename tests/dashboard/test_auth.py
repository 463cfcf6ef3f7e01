"""The dashboard's password and session tokens."""

from __future__ import annotations

import time

from pydantic import SecretStr

from service.dashboard.auth import DashboardAuth
from service.settings import Settings


def auth(password: str | None = "letmein", **options: object) -> DashboardAuth:
    return DashboardAuth(SecretStr(password) if password else None, failed_login_delay=0, **options)


def test_the_right_password_gets_a_token_that_checks():
    guard = auth()
    token = guard.login("letmein")
    assert token is not None and guard.check(token)


def test_a_wrong_or_missing_password_gets_nothing_and_waits(monkeypatch):
    guard = DashboardAuth(SecretStr("letmein"), failed_login_delay=0.2)
    started = time.monotonic()
    assert guard.login("letmein!") is None
    assert time.monotonic() - started >= 0.2
    assert guard.login(None) is None


def test_no_token_a_forged_or_tampered_token_is_refused():
    guard = auth()
    token = guard.login("letmein")
    expiry, signature = token.split(".")
    assert not guard.check(None)
    assert not guard.check("")
    assert not guard.check("garbage")
    assert not guard.check(f"{int(expiry) + 3600}.{signature}")
    assert not guard.check(f"{expiry}.{'0' * len(signature)}")


def test_an_expired_token_is_refused():
    guard = auth(session_seconds=-1)
    assert not guard.check(guard.login("letmein"))


def test_a_token_from_another_process_with_the_same_password_is_refused():
    assert not auth().check(auth().login("letmein"))


def test_open_mode_lets_everyone_in_and_locked_mode_nobody():
    opened = auth(None, open_without_password=True)
    assert opened.mode == "open" and opened.check(None)
    locked = auth(None)
    assert locked.mode == "locked"
    assert locked.login("") is None and not locked.check(None)


def test_the_dashboard_password_wins_over_the_webhook_secret_which_is_the_fallback(monkeypatch):
    for name in ("HUBHOOKS_DASHBOARD_PASSWORD", "HUBHOOKS_DASHBOARD_OPEN", "WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    secret = SecretStr("webhook-secret")
    monkeypatch.setenv("HUBHOOKS_DASHBOARD_PASSWORD", "board")
    own = DashboardAuth.from_settings(Settings(), secret)
    assert own.mode == "password" and own.check(own.login("board"))
    monkeypatch.delenv("HUBHOOKS_DASHBOARD_PASSWORD")
    fallback = DashboardAuth.from_settings(Settings(), secret)
    assert fallback.check(fallback.login("webhook-secret"))
    assert DashboardAuth.from_settings(Settings(), None).mode == "locked"
    monkeypatch.setenv("HUBHOOKS_DASHBOARD_OPEN", "1")
    assert DashboardAuth.from_settings(Settings(), secret).mode == "open"


def test_the_password_stays_out_of_reprs():
    assert "letmein" not in repr(auth())
    assert "hunter2" not in repr(Settings(dashboard_password="hunter2"))
