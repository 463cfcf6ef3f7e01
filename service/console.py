"""The lines a user reads on stdout when the server starts.

They follow what ``huggingface_hub``'s server prints, so users and their docs recognise them; all
of them come from here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

HUB_SECRET_DOCS = "https://huggingface.co/docs/hub/webhooks#webhook-secret"
HUB_WEBHOOK_SETTINGS = "https://huggingface.co/settings/webhooks"


def public_url(host: str, port: int) -> str:
    """Where the Hub should send events: the Space's URL on a Space, else the local address."""
    space_host = os.environ.get("SPACE_HOST")
    if space_host:
        return f"https://{space_host}"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:  # an IPv6 address goes in brackets in a URL
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def secret_status_lines(secret_is_set: bool) -> list[str]:
    """The warning for open endpoints, or the confirmation that a secret is set."""
    if secret_is_set:
        return ["Webhook secret is correctly defined."]
    return [
        "Webhook secret is not defined. This means your webhook endpoints will be open to everyone.",
        "To add a secret, set `WEBHOOK_SECRET` as environment variable or pass it at initialization:",
        "\t`app = WebhooksServer(webhook_secret='my_secret', ...)`",
        f"For more details about webhook secrets, please refer to {HUB_SECRET_DOCS}.",
    ]


def ready_lines(base_url: str, routes: Iterable[str]) -> list[str]:
    """The list of endpoints to paste into the Hub's webhook settings."""
    lines = ["", "Webhooks are correctly setup and ready to use:"]
    lines += [f"  - POST {base_url}{route}" for route in routes]
    lines.append(f"Go to {HUB_WEBHOOK_SETTINGS} to setup your webhooks.")
    return lines


def share_closed_lines() -> list[str]:
    """Why ``share=True`` opened no tunnel: there is no webhook secret."""
    return [
        "Share link NOT opened: this server has no webhook secret. A share link puts it on the",
        "internet, where anyone who finds the URL could run your handlers. Set `WEBHOOK_SECRET`",
        "(or pass `webhook_secret=` to WebhooksServer) and launch again to open one.",
    ]


def share_opening_lines() -> list[str]:
    """Said before the tunnel is set up, which takes seconds."""
    return ["Opening a Gradio share link (this takes a few seconds)..."]


def share_on_space_lines() -> list[str]:
    """Why ``share=True`` is ignored on a Space."""
    return ["Share link not opened: this Space's URL is already public; use it in the Hub's settings."]


def share_open_lines(share_url: str, local_url: str) -> list[str]:
    """The public URL of the tunnel, and what it forwards to."""
    return [
        f"Share link open: {share_url} (forwards to {local_url}; it lasts up to a week,",
        "on Gradio's share servers' best effort). Use the URLs below in the Hub's settings.",
    ]


def share_failed_lines(reason: str, local_url: str) -> list[str]:
    """A tunnel that could not open: the reason, and that the server still serves locally."""
    return [
        f"Share link could not be opened ({reason}).",
        "It needs internet access to Gradio's share servers (and, on first use, to download",
        f"Gradio's frpc client). Serving locally only, at {local_url}.",
    ]


def embedded_warning_lines() -> list[str]:
    """The loud notice that the embedded default keeps events in memory only."""
    bar = "!" * 78
    return [
        bar,
        "hubhooks runs on its EMBEDDED in-memory Redis with an in-process worker (no REDIS_URL).",
        "Queued and failed events are LOST when this process stops. For durable delivery, run a",
        "Redis server and set REDIS_URL, e.g. `REDIS_URL=redis://localhost:6379/0 python app.py`,",
        "then start workers with `hubhooks worker app.py` (or `hubhooks serve app.py --workers 2`).",
        bar,
    ]


def say(lines: Iterable[str]) -> None:
    """Print lines to stdout, flushed so they show in container logs at once."""
    print("\n".join(lines), flush=True)
