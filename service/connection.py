"""Redis connections: a real server from ``REDIS_URL``, or the embedded in-memory one.

The embedded server (fakeredis) lives in this process only: it exists so that ``python app.py``
works on a fresh machine with nothing but ``pip install``. Its events die with the process.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

if TYPE_CHECKING:
    from fakeredis import FakeServer

logger = logging.getLogger(__name__)


def display_url(redis_url: str) -> str:
    """``redis_url`` fit for a message or a log line: any password (before the host, or a
    ``password=`` query option) shown as ``***``. TLS options such as ``ssl_ca_certs`` stay."""
    try:
        parts = urlsplit(redis_url)
        password = parts.password
    except ValueError:
        return "<a URL that does not parse>"
    netloc = parts.netloc
    if password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rpartition('@')[2]}"
    options = [
        "password=***" if option.partition("=")[0].lower() == "password" else option
        for option in parts.query.split("&")
    ]
    query = "&".join(options)
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def connect(redis_url: str, timeout_seconds: float | None = None) -> Redis:
    """A client for ``redis_url``; the timeout bounds how long a request may wait on Redis.

    The front end passes a short timeout, so that an outage turns into a quick 503 instead of a
    hanging request. Workers pass none: RQ sets the socket timeout its blocking pops need.
    Options in the URL's query reach redis-py as they are (``rediss://...?ssl_ca_certs=/ca.crt``
    for TLS, say) and override these keywords.
    """
    return Redis.from_url(
        redis_url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        health_check_interval=30,
    )


def connect_async(redis_url: str, timeout_seconds: float) -> AsyncRedis:
    """An asyncio client for the front end's writes, with the same bounded wait as :func:`connect`."""
    return AsyncRedis.from_url(
        redis_url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        health_check_interval=30,
    )


def embedded_server() -> FakeServer:
    """A new in-memory Redis server, shared by the clients :func:`embedded_client` makes."""
    from fakeredis import FakeServer

    return FakeServer()


def embedded_client(server: FakeServer) -> Redis:
    """A client of the in-memory server; thread-safe for the front end and the worker."""
    from fakeredis import FakeRedis

    return FakeRedis(server=server)


def embedded_async_client(server: FakeServer) -> AsyncRedis:
    """An asyncio client of the in-memory server, for the front end's event loop."""
    from fakeredis import FakeAsyncRedis

    return FakeAsyncRedis(server=server)
