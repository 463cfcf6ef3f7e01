"""What hubhooks needs from a Redis server: a version, and commands per role.

The version floor is RQ 2.x's, raised by the protocol redis-py speaks:

- Redis 5.0: RQ 2.x's stated minimum; it keeps job results in streams (``XADD``, new in 5.0).
- Redis 6.0 when the client speaks RESP3: redis-py 8 does by default, and opens each connection
  with ``HELLO 3``, which older servers (and some RESP2-only proxies) do not know. ``protocol=2``
  in the URL's query speaks RESP2 and brings the floor back to 5.0.

Our own Lua scripts use nothing newer (``SET ... EX``, multi-field ``HSET``: Redis 4.0).

The command lists are what each role sends in normal operation, as recorded with ``MONITOR``
(``tests/deploy/test_redis_commands.py`` records them again and fails when a role sends one that is
not listed here). A missing *required* command stops the start; a missing *optional* one costs a
feature, named in the warning. The dashboard's reads are not checked: a refused one shows as an
error in its tab, nothing else fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import redis.utils
from redis import Redis

Version = tuple[int, int, int]

FRONT_END = "front end"
WORKER = "worker"
ROLES = (FRONT_END, WORKER)

MINIMUM_VERSION = {2: (5, 0, 0), 3: (6, 0, 0)}
# From this version on, a worker on a single queue moves jobs with (B)LMOVE (RQ's intermediate
# queue); before it, and on several queues, RQ pops with (B)LPOP.
LMOVE_VERSION = (6, 2, 0)

# Each need: why the role needs it (for the error message), then the commands.
_FRONT_END_NEEDS = [
    ("it writes each event with one Lua script", ("SCRIPT", "EVALSHA")),
    (
        "its Lua script writes the job, the dedup mark, the events index and the lanes",
        ("GET", "SET", "DEL", "HGET", "HSET", "EXPIRE", "RPUSH", "SADD", "ZADD", "ZREM", "ZREMRANGEBYSCORE"),
    ),
    ("/health/ready pings Redis and counts workers", ("PING", "SMEMBERS")),
]
_WORKER_NEEDS = [
    ("it takes jobs from its queues", ("BLPOP", "LPOP")),
    (
        "RQ keeps jobs, registries, results and heartbeats with them",
        (
            "DEL", "EXISTS", "EXPIRE", "GET", "HDEL", "HGETALL", "HINCRBY", "HINCRBYFLOAT", "HSET",
            "LRANGE", "LREM", "PERSIST", "PING", "RPUSH", "SADD", "SET", "SMEMBERS", "SREM", "XADD",
            "ZADD", "ZRANGE", "ZRANGEBYSCORE", "ZREM", "ZREMRANGEBYSCORE",
        ),
    ),
    ("RQ moves jobs between states in transactions", ("MULTI", "EXEC", "WATCH", "UNWATCH")),
    ("RQ's scheduler, which runs retries, takes its lock with a Lua script", ("SCRIPT", "EVALSHA")),
]  # fmt: skip
_LMOVE_NEED = ("it takes jobs from a single queue with them on Redis 6.2+", ("BLMOVE", "LMOVE"))
_RESP3_NEED = ("redis-py opens every connection with it to speak RESP3", ("HELLO",))

# Commands whose absence costs a feature, not the role: what is lost, per role that sends them.
OPTIONAL_COMMANDS: dict[str, dict[str, str]] = {
    "INFO": {
        FRONT_END: "the server's version cannot be read (RQ then assumes 5.0.9)",
        WORKER: "the server's version cannot be read (RQ then assumes 5.0.9)",
    },
    "CLIENT": {WORKER: "workers register their IP address as 'unknown'"},
    "SUBSCRIBE": {WORKER: "workers do not receive RQ's commands (shutdown, kill-horse, stop-job)"},
    "UNSUBSCRIBE": {WORKER: "workers do not receive RQ's commands (shutdown, kill-horse, stop-job)"},
}


def parse_version(text: object) -> Version | None:
    """``"7.0.15"`` as ``(7, 0, 15)``; missing parts are 0 and suffixes (``-rc1``) are dropped.

    ``None`` for text that starts with no number (the version is then unknown, not zero).
    """
    parts: list[int] = []
    for part in str(text).strip().split(".")[:3]:
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        parts.append(int(digits.group()))
    if not parts:
        return None
    major, minor, patch = [*parts, 0, 0][:3]
    return (major, minor, patch)


def format_version(version: Version) -> str:
    """``(7, 0, 15)`` as ``"7.0.15"``."""
    return ".".join(str(part) for part in version)


def client_protocol(client: Redis) -> int:
    """The RESP version ``client`` speaks: the URL's ``protocol=``, else redis-py's default."""
    protocol: object = client.get_connection_kwargs().get("protocol")
    if protocol is None:
        protocol = getattr(redis.utils, "DEFAULT_RESP_VERSION", 2)
    return int(str(protocol))


def version_problem(version: Version, protocol: int) -> str | None:
    """Why hubhooks cannot work with a server of ``version`` over RESP ``protocol``, or ``None``."""
    minimum = MINIMUM_VERSION[3 if protocol >= 3 else 2]
    if version >= minimum:
        return None
    shown = format_version(version)
    if protocol >= 3 and version >= MINIMUM_VERSION[2]:
        return (
            f"it runs Redis {shown}, and RESP3 (redis-py's default protocol) needs 6.0 or newer: "
            "add protocol=2 to the URL's query (redis://host:6379/0?protocol=2) or upgrade Redis"
        )
    return (
        f"it runs Redis {shown}, and RQ 2.x needs {format_version(MINIMUM_VERSION[2])} or newer "
        "(it keeps results in streams): upgrade Redis"
    )


def required_commands(roles: Iterable[str], version: Version | None, protocol: int) -> dict[str, str]:
    """The commands ``roles`` cannot work without, each with the first reason found for it.

    ``version`` ``None`` (unknown) counts as old: RQ then assumes 5.0.9 and never uses LMOVE.
    """
    needs: list[tuple[str, tuple[str, ...]]] = []
    roles = set(roles)
    if FRONT_END in roles:
        needs += [(f"the front end needs them: {why}", names) for why, names in _FRONT_END_NEEDS]
    if WORKER in roles:
        worker_needs = list(_WORKER_NEEDS)
        if version is not None and version >= LMOVE_VERSION:
            worker_needs.append(_LMOVE_NEED)
        needs += [(f"workers need them: {why}", names) for why, names in worker_needs]
    if protocol >= 3:
        needs.append(_RESP3_NEED)
    required: dict[str, str] = {}
    for why, names in needs:
        for name in names:
            required.setdefault(name, why)
    return required


def optional_commands(roles: Iterable[str]) -> dict[str, str]:
    """The optional commands ``roles`` send, each with what is lost without it."""
    roles = set(roles)
    found: dict[str, str] = {}
    for name, losses in OPTIONAL_COMMANDS.items():
        lost = [loss for role, loss in losses.items() if role in roles]
        if lost:
            found[name] = lost[0]
    return found
