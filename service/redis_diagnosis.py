"""Redis errors in words a user can act on, and whether waiting may fix them.

redis-py wraps the socket and TLS errors under its own ``ConnectionError``; the cause chain tells
a refused connection (Redis not up yet: wait) from an untrusted certificate (waiting will not
help: say which URL option to set).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

from redis.exceptions import (
    AuthenticationError,
    BusyLoadingError,
    InvalidResponse,
    RedisError,
    ResponseError,
)


def describe_error(error: RedisError, redis_url: str, timeout_seconds: float) -> tuple[str, bool]:
    """``error`` in words a user can act on, and whether waiting may fix it."""
    parts = urlsplit(redis_url)
    where = f"{parts.hostname}:{parts.port or 6379}"
    tls = parts.scheme == "rediss"
    causes = list(_causes(error))
    if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes):
        reason = next(c for c in causes if isinstance(c, ssl.SSLCertVerificationError)).verify_message
        return (
            f"its TLS certificate is not trusted ({reason}): name the CA that signed it with "
            "ssl_ca_certs=/path/to/ca.pem in the URL's query (managed services publish theirs)",
            False,
        )
    if any(isinstance(cause, ssl.SSLError) for cause in causes) or (
        tls and any("handshake" in str(cause) for cause in causes)
    ):
        return (
            f"the TLS handshake with {where} failed ({error}): if the server takes plain "
            "connections, use redis:// instead of rediss://",
            False,
        )
    if any(isinstance(cause, FileNotFoundError) for cause in causes):
        return (
            "a file the URL names does not exist (ssl_ca_certs, ssl_certfile or ssl_keyfile)",
            False,
        )
    if isinstance(error, AuthenticationError) or str(error).startswith(("WRONGPASS", "NOAUTH")):
        return (
            f"authentication failed ({error}): check the user and password in the URL "
            "(rediss://USER:PASSWORD@host:port/0)",
            False,
        )
    if isinstance(error, InvalidResponse):
        return f"what answers at {where} does not speak Redis' protocol ({error}): check host and port", False
    if isinstance(error, BusyLoadingError):
        return "Redis is loading its data into memory", True
    if isinstance(error, ResponseError):
        if "HELLO" in str(error):
            return (
                f"it does not know HELLO ({short_text(error)}), so it cannot speak RESP3, redis-py's default "
                "protocol: it is older than Redis 6.0 or a proxy that speaks RESP2 only. Add "
                "protocol=2 to the URL's query (redis://host:6379/0?protocol=2), or use Redis 6.0+",
                False,
            )
        return short_text(error), "max number of clients" in str(error)
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return f"nothing accepts connections at {where} (connection refused)", True
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return f"the host name {parts.hostname!r} does not resolve", True
    if any(isinstance(cause, ConnectionResetError | ConnectionAbortedError) for cause in causes) or (
        "closed by server" in str(error)
    ):
        hint = "" if tls else " (a server that takes TLS connections only does this: use rediss://)"
        return f"{where} closed the connection{hint}", True
    if any(isinstance(cause, TimeoutError | socket.timeout) for cause in causes) or "Timeout" in str(error):
        return (
            f"no answer from {where} within {timeout_seconds:g} s (a firewall, or a managed Redis "
            "that admits listed IP addresses only?)",
            True,
        )
    return str(error), True


def short_text(error: BaseException) -> str:
    """Redis' error text without the arguments it echoes (``..., with args beginning with: ...``)."""
    return str(error).split(", with args beginning with")[0]


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, then what caused it, and so on (redis-py wraps socket and TLS errors)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
