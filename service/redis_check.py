"""Checking, at start, that the Redis of ``REDIS_URL`` can serve a role (front end, worker).

In order, and what each failure does:

1. **Reach**: connect and ``PING``. Problems that waiting can fix (connection refused, timed
   out, host not resolved, reset, Redis loading its data) are retried with backoff for
   ``wait_seconds`` (``None``: until it answers), each try logged. Problems that waiting cannot
   fix (TLS certificate or handshake, password, no RESP3, not Redis at all) fail at once.
2. **Server**: ``INFO``: the version (see :mod:`service.redis_requirements`), not a cluster, not a
   read-only replica; a ``maxmemory-policy`` that may evict jobs is a warning.
3. **Commands**: ``COMMAND INFO`` for what the roles need. A renamed or disabled command
   (``rename-command``, a managed service's list) fails the start when required and is a warning
   when optional.
4. **Scripts and writes**: ``SCRIPT LOAD`` and ``EVALSHA`` of a script that writes and deletes a
   short-lived key, which finds what ``COMMAND INFO`` cannot: an ACL that denies scripts or
   writes (fatal), a replica (fatal), a Redis out of memory (a warning: events get 503 until it
   has room again).

Failures raise :class:`~service.errors.RedisCheckError`, whose message names the URL without its
password and says what to change; the CLI prints it and exits 2.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.exceptions import (
    NoPermissionError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    ResponseError,
)

from service.connection import connect, display_url
from service.errors import RedisCheckError
from service.redis_diagnosis import describe_error, short_text
from service.redis_requirements import (
    FRONT_END,
    Version,
    client_protocol,
    format_version,
    optional_commands,
    parse_version,
    required_commands,
    version_problem,
)
from service.settings import Settings

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY_SECONDS = 30.0
# How long a front end waits for an unreachable Redis at start, unless HUBHOOKS_REDIS_WAIT_SECONDS
# says otherwise. A worker waits until Redis answers: it has nothing else to do, and it waits the
# same way when Redis goes away later (workers/worker.py).
FRONT_END_WAIT_SECONDS = 60.0
# Writes and deletes a key in each of the namespaces we write to (RQ's and ours), where an ACL may
# restrict keys; nothing is left behind.
PROBE_SCRIPT = """
for _, key in ipairs(KEYS) do
  redis.call('SET', key, '1', 'PX', 10000)
  redis.call('DEL', key)
end
return 1
"""


@dataclass(frozen=True)
class RedisReport:
    """What the check found: the server and the warnings it logged."""

    url: str
    server: str
    version: Version | None
    details: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        details = f" ({', '.join(self.details)})" if self.details else ""
        return f"{self.url} is {self.server}{details}"


def check_at_start(settings: Settings, roles: Collection[str]) -> RedisReport:
    """:func:`check_redis` for ``roles`` with the settings' URL, timeout and wait."""
    assert settings.redis_url is not None, "the embedded Redis needs no check"
    wait = settings.redis_wait_seconds
    if wait is None and FRONT_END in roles:
        wait = FRONT_END_WAIT_SECONDS
    return check_redis(settings.redis_url, roles, settings.redis_timeout_seconds, wait)


def check_redis(
    redis_url: str, roles: Collection[str], timeout_seconds: float, wait_seconds: float | None
) -> RedisReport:
    """Check that ``redis_url`` can serve ``roles``; raise :class:`RedisCheckError` if it cannot.

    ``wait_seconds`` bounds how long an unreachable Redis is waited for (``None``: no bound).
    Warnings are logged and returned in the report.
    """
    shown = display_url(redis_url)
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    delay = 0.5
    while True:
        try:
            report = _check_once(redis_url, shown, roles, timeout_seconds)
        except RedisError as error:
            problem, transient = describe_error(error, redis_url, timeout_seconds)
            if not transient:
                raise RedisCheckError(f"Redis at {shown}: {problem}.") from None
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
                raise RedisCheckError(
                    f"Redis at {shown} is unreachable{waited}: {problem}. Check REDIS_URL and that "
                    "Redis runs; HUBHOOKS_REDIS_WAIT_SECONDS sets how long to wait for it at start."
                ) from None
            pause = delay if remaining is None else min(delay, remaining)
            logger.warning("Redis check: %s unreachable (%s); trying again in %.1fs", shown, problem, pause)
            time.sleep(pause)
            delay = min(delay * 2, MAX_RETRY_DELAY_SECONDS)
            continue
        for warning in report.warnings:
            logger.warning("Redis check: %s", warning)
        logger.info("Redis check: %s; fit for %s", report.summary(), " and ".join(sorted(roles)))
        return report


def _check_once(redis_url: str, shown: str, roles: Collection[str], timeout_seconds: float) -> RedisReport:
    try:
        client = connect(redis_url, timeout_seconds)
    except (ValueError, TypeError) as error:  # redis-py parses the URL here
        raise RedisCheckError(
            f"REDIS_URL is not a usable Redis URL ({error}): expected "
            "redis://[USER:PASSWORD@]HOST:PORT/DB, rediss://... for TLS, or unix:///path/to/socket"
        ) from None
    try:
        client.ping()
        return _inspect(client, shown, roles)
    finally:
        client.close()


def _inspect(client: Redis, shown: str, roles: Collection[str]) -> RedisReport:
    warnings: dict[str, str] = {}
    protocol = client_protocol(client)
    server, version, details = _server_facts(client, shown, warnings)
    if version is not None and (problem := version_problem(version, protocol)) is not None:
        raise RedisCheckError(f"Redis at {shown}: {problem}.")
    required = required_commands(roles, version, protocol)
    optional = optional_commands(roles)
    missing = _missing_commands(client, shown, [*required, *optional], warnings)
    fatal = [name for name in missing if name in required]
    if fatal:
        reasons = sorted({required[name] for name in fatal})
        raise RedisCheckError(
            f"Redis at {shown} lacks {', '.join(fatal)} (renamed or disabled: rename-command in its "
            f"configuration, or the provider's list of commands); {'; '.join(reasons)}. "
            "Enable them, or use a Redis that has them."
        )
    for name in missing:
        warnings.setdefault(name, f"{shown} lacks {name}: {optional[name]}")
    _probe_scripts(client, shown, warnings)
    return RedisReport(shown, server, version, details, list(warnings.values()))


def _server_facts(
    client: Redis, shown: str, warnings: dict[str, str]
) -> tuple[str, Version | None, list[str]]:
    try:
        info: dict[str, Any] = client.info()
    except ResponseError as error:
        version = _version_from_hello(client)
        known = f"version {format_version(version)} from HELLO" if version else "its version unknown"
        warnings["INFO"] = (
            f"{shown} refuses INFO ({short_text(error)}): {known}; its settings are not checked"
        )
        return (f"Redis {format_version(version)}" if version else "a Redis server"), version, []
    version = parse_version(info.get("redis_version"))
    server = f"Redis {info.get('redis_version', '?')}"
    for flavour in ("valkey", "dragonfly"):
        if f"{flavour}_version" in info:
            server = f"{flavour.capitalize()} {info[f'{flavour}_version']}"
    if str(info.get("cluster_enabled", 0)) == "1":
        raise RedisCheckError(
            f"Redis at {shown} runs in cluster mode, which RQ does not support (a job's keys live in "
            "different hash slots): use a Redis with cluster mode disabled (a single primary)."
        )
    if info.get("role") in ("slave", "replica"):
        raise _replica(shown)
    policy = info.get("maxmemory_policy")
    if policy and policy != "noeviction":
        warnings["maxmemory-policy"] = (
            f"{shown} has maxmemory-policy {policy}: when full, Redis may evict queued jobs and "
            "dedup marks, and events are lost without an error. Set maxmemory-policy to noeviction "
            "(a full Redis then refuses writes, and the Hub gets a 503 and retries)."
        )
    details = [f"maxmemory-policy {policy or '?'}", f"AOF {'on' if info.get('aof_enabled') else 'off'}"]
    return server, version, details


def _version_from_hello(client: Redis) -> Version | None:
    """The version HELLO reports (servers that refuse INFO may still answer it)."""
    try:
        reply = client.execute_command("HELLO")
    except RedisError:
        return None
    if isinstance(reply, list):  # RESP2: a flat list of names and values
        reply = dict(zip(reply[::2], reply[1::2], strict=True))
    value = reply.get(b"version", reply.get("version")) if isinstance(reply, dict) else None
    return parse_version(value.decode() if isinstance(value, bytes) else value) if value else None


def _missing_commands(client: Redis, shown: str, names: list[str], warnings: dict[str, str]) -> list[str]:
    """Which of ``names`` the server does not know (``COMMAND INFO`` has no entry for them)."""
    try:
        reply = client.execute_command("COMMAND INFO", *names)
    except ResponseError as error:
        warnings["COMMAND"] = (
            f"cannot list the commands of {shown} (COMMAND INFO: {short_text(error)}); "
            "only the script probe checks them"
        )
        return []
    return [name for name, entry in zip(names, reply, strict=True) if not entry]


def _probe_scripts(client: Redis, shown: str, warnings: dict[str, str]) -> None:
    """Load and run a script that writes: what ACLs, replicas and a full Redis refuse."""
    try:
        sha = client.script_load(PROBE_SCRIPT)
        probe = uuid.uuid4().hex
        client.evalsha(sha, 2, f"hubhooks:check:{probe}", f"rq:hubhooks-check:{probe}")
    except NoPermissionError as error:
        raise RedisCheckError(
            f"Redis at {shown} does not let this user run Lua scripts that write ({error}): hubhooks "
            "writes each event with one, and RQ's scheduler locks with one. Grant the user +@scripting "
            "(or +script|load +evalsha) and write access to the rq:* and hubhooks:* keys."
        ) from None
    except ReadOnlyError:
        raise _replica(shown) from None
    except OutOfMemoryError as error:
        warnings["OOM"] = f"{shown} refuses writes now ({error}): events get 503 until it has room again"
    except ResponseError as error:
        if str(error).startswith("MISCONF"):
            warnings["MISCONF"] = f"{shown} refuses writes now ({error}): events get 503 until it is fixed"
            return
        raise RedisCheckError(f"Redis at {shown} cannot run hubhooks' Lua scripts: {error}.") from None


def _replica(shown: str) -> RedisCheckError:
    return RedisCheckError(f"Redis at {shown} is a read-only replica: point REDIS_URL at its primary.")
