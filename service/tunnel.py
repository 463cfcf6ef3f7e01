"""A Gradio share link to a local server, so that the Hub can reach a laptop while you develop.

``launch(share=True)`` (or ``GRADIO_SHARE=true`` with ``launch()``, or ``hubhooks serve APP
--share``) asks Gradio's share servers for a public ``https://*.gradio.live`` URL forwarded to
this server, through Gradio's own tunnel client (``gradio.networking.setup_tunnel``; Gradio
downloads its ``frpc`` binary on first use). Our FastAPI app is what the link reaches: the
webhook routes, the landing page and the dashboard.

A share link puts the server on the internet, so it is opened only when a webhook secret is set:
without one, anyone who finds the URL could run the handlers. Then the tunnel stays closed and
the start-up lines say why. On a Space (already public) no link is opened. A link that cannot be
opened (no internet, a firewall) is reported and the server serves locally as usual.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from service import console
from service.settings import running_on_space

logger = logging.getLogger(__name__)

# Gradio waits up to 30 s for each of its steps (share server, frpc download, tunnel).
OPEN_TIMEOUT_SECONDS = 100.0

Opener = Callable[[str, int, str, "str | None", "str | None"], str]


@dataclass(frozen=True)
class ShareOptions:
    """Gradio's share settings: a custom FRP server (``host:port``), its TLS certificate, and the
    scheme of the public URL (``https`` for Gradio's servers, ``http`` for a custom one)."""

    server_address: str | None = None
    server_tls_certificate: str | None = None
    server_protocol: str | None = None


def _gradio_setup_tunnel(
    host: str, port: int, token: str, address: str | None, certificate: str | None
) -> str:
    from gradio.networking import setup_tunnel

    return setup_tunnel(host, port, token, address, certificate)


def open_share_link(
    host: str,
    port: int,
    secret_is_set: bool,
    options: ShareOptions,
    opener: Opener = _gradio_setup_tunnel,
    timeout: float = OPEN_TIMEOUT_SECONDS,
) -> str | None:
    """Open a share link to ``host:port`` and return its URL, or ``None`` (having said why).

    ``opener`` is Gradio's tunnel set-up; it runs in a thread, given up after ``timeout``.
    """
    local_url = console.public_url(host, port)
    if running_on_space():
        console.say(console.share_on_space_lines())
        return None
    if not secret_is_set:
        logger.info("Tunnel: not opened, no webhook secret is set")
        console.say(console.share_closed_lines())
        return None
    local_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    logger.info("Tunnel: opening a share link to %s", local_url)
    console.say(console.share_opening_lines())
    outcome: dict[str, object] = {}

    def attempt() -> None:
        try:
            outcome["url"] = opener(
                local_host,
                port,
                secrets.token_urlsafe(32),
                options.server_address,
                options.server_tls_certificate,
            )
        except Exception as error:  # whatever Gradio raises, the server keeps serving locally
            outcome["error"] = error

    thread = threading.Thread(target=attempt, name="hubhooks-tunnel", daemon=True)
    thread.start()
    thread.join(timeout)
    url = outcome.get("url")
    if isinstance(url, str) and url:
        public = _with_scheme(url, options)
        logger.info("Tunnel: share link %s open", public)
        console.say(console.share_open_lines(public, local_url))
        return public
    error = outcome.get("error")
    reason = f"{type(error).__name__}: {error}" if error else f"no answer within {timeout:.0f} s"
    logger.info("Tunnel: share link not opened: %s", reason)
    console.say(console.share_failed_lines(reason, local_url))
    return None


def _with_scheme(url: str, options: ShareOptions) -> str:
    """The URL with the scheme Gradio would show (the tunnel client reports a bare one)."""
    protocol = options.server_protocol or ("https" if options.server_address is None else "http")
    rest = url.split("://", 1)[-1]
    return f"{protocol}://{rest.rstrip('/')}"
