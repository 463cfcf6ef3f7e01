"""Who may read and steer the dashboard: a password, exchanged for a signed session token.

Payloads name private repos, so every dashboard read and action checks a token, while the landing
page next to it stays public. The token lives in the browser session's server-side ``gr.State``
(Gradio ignores any value a client sends for a state input), and is also signed, so that it is
worthless if it leaks anywhere else: ``<expiry>.<HMAC-SHA256 of the expiry>``, keyed by the
password and a random salt drawn at start. A restart or a new password ends every session.

Modes, from :class:`~service.settings.Settings`:

- ``password``: ``HUBHOOKS_DASHBOARD_PASSWORD``, or else the webhook secret;
- ``open``: ``HUBHOOKS_DASHBOARD_OPEN=1`` and no password is asked (local use only);
- ``locked``: neither a password nor ``open``; nothing is shown.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from typing import Literal

from pydantic import SecretStr

from service.settings import Settings

logger = logging.getLogger(__name__)

Mode = Literal["password", "open", "locked"]

SESSION_SECONDS = 12 * 3600
FAILED_LOGIN_DELAY_SECONDS = 1.0


class DashboardAuth:
    """Checks the dashboard password and the session tokens it hands out.

    ``failed_login_delay`` slows password guessing: the login event runs one at a time, so each
    wrong guess holds the line for that long.
    """

    def __init__(
        self,
        password: SecretStr | None,
        open_without_password: bool = False,
        session_seconds: int = SESSION_SECONDS,
        failed_login_delay: float = FAILED_LOGIN_DELAY_SECONDS,
    ) -> None:
        self._password = password.get_secret_value().encode() if password is not None else None
        self.open = open_without_password
        self.session_seconds = session_seconds
        self.failed_login_delay = failed_login_delay
        self._key = (
            hmac.new(os.urandom(32), self._password, hashlib.sha256).digest() if self._password else b""
        )

    @classmethod
    def from_settings(cls, settings: Settings, webhook_secret: SecretStr | None) -> DashboardAuth:
        """The dashboard password if set, else the webhook secret; open only when asked to be."""
        auth = cls(settings.dashboard_password or webhook_secret, settings.dashboard_open)
        if auth.mode == "open":
            logger.warning("Dashboard: open without a password (HUBHOOKS_DASHBOARD_OPEN); local use only")
        elif auth.mode == "locked":
            logger.warning("Dashboard: locked; set HUBHOOKS_DASHBOARD_PASSWORD (or WEBHOOK_SECRET) to use it")
        return auth

    def __repr__(self) -> str:
        return f"DashboardAuth(mode={self.mode!r}, password={'set' if self._password else 'unset'})"

    @property
    def mode(self) -> Mode:
        """How a visitor gets in: with the password, without one, or not at all."""
        if self.open:
            return "open"
        return "password" if self._password else "locked"

    def admits(self, password: str | None) -> bool:
        """Whether ``password`` opens the dashboard (always, when open); compared in constant time.

        Also what ``/metrics`` checks its bearer token with.
        """
        if self.mode == "open":
            return True
        return self._password is not None and hmac.compare_digest((password or "").encode(), self._password)

    def login(self, password: str | None) -> str | None:
        """A session token for the right password, ``None`` (after a delay) for a wrong one."""
        if self.admits(password):
            return self._sign(int(time.time()) + self.session_seconds)
        logger.warning("Dashboard: refused a login with a wrong password")
        time.sleep(self.failed_login_delay)
        return None

    def check(self, token: str | None) -> bool:
        """Whether ``token`` is a session of this process that has not expired (always, when open)."""
        if self.mode == "open":
            return True
        if not token or self.mode == "locked":
            return False
        expiry, _, _signature = token.partition(".")
        if not expiry.isdigit() or int(expiry) < time.time():
            return False
        return hmac.compare_digest(token, self._sign(int(expiry)))

    def _sign(self, expiry: int) -> str:
        signature = hmac.new(self._key, f"hubhooks-dashboard:{expiry}".encode(), hashlib.sha256)
        return f"{expiry}.{signature.hexdigest()}"
