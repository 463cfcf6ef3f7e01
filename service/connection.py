"""Redis connections: a real server from ``REDIS_URL``, or the embedded in-memory one.

The embedded server (fakeredis) lives in this process only: it exists so that ``python app.py``
works on a fresh machine with nothing but ``pip install``. Its events die with the process.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

if TYPE_CHECKING:
    from fakeredis import FakeServer

logger = logging.getLogger(__name__)


def connect(redis_url: str, timeout_seconds: float | None = None) -> Redis:
    """A client for ``redis_url``; the timeout bounds how long a request may wait on Redis.

    The front end passes a short timeout, so that an outage turns into a quick 503 instead of a
    hanging request. Workers pass none: RQ sets the socket timeout its blocking pops need.
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
