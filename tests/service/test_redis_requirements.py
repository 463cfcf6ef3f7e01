"""The version floor and the command lists: what each role needs from Redis."""

from __future__ import annotations

import pytest
import redis.utils
from redis import Redis

from service.redis_requirements import (
    FRONT_END,
    WORKER,
    client_protocol,
    optional_commands,
    parse_version,
    required_commands,
    version_problem,
)


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("7.0.15", (7, 0, 15)),
        ("6.2", (6, 2, 0)),
        ("7", (7, 0, 0)),
        ("7.2.4.1", (7, 2, 4)),  # some forks report four parts; RQ reads three too
        ("7.0.0-rc2", (7, 0, 0)),
        ("255.255.255", (255, 255, 255)),  # what some proxies report
        (7.2, (7, 2, 0)),  # a float, from INFO parsing of "7.2"
        ("", None),
        ("unknown", None),
    ],
)
def test_versions_parse_like_rq_reads_them(text, version):
    assert parse_version(text) == version


def test_resp2_needs_redis_5_which_rq_2_needs():
    assert version_problem((5, 0, 0), protocol=2) is None
    problem = version_problem((4, 0, 14), protocol=2)
    assert problem is not None
    assert "4.0.14" in problem and "5.0.0" in problem and "upgrade" in problem


def test_resp3_needs_redis_6_and_says_protocol_2_lowers_the_floor():
    assert version_problem((6, 0, 0), protocol=3) is None
    problem = version_problem((5, 0, 14), protocol=3)
    assert problem is not None
    assert "protocol=2" in problem and "6.0" in problem


def test_resp3_on_redis_4_asks_for_an_upgrade_not_for_resp2():
    problem = version_problem((4, 0, 0), protocol=3)
    assert problem is not None
    assert "protocol=2" not in problem and "5.0.0" in problem


def test_the_front_end_needs_its_script_commands_and_not_the_workers_queue_pops():
    needed = required_commands([FRONT_END], (7, 0, 0), protocol=2)
    assert {"EVALSHA", "SCRIPT", "GET", "SET", "HSET", "RPUSH", "SADD", "ZADD"} <= set(needed)
    assert "BLPOP" not in needed and "HELLO" not in needed
    assert "Lua script" in needed["EVALSHA"]


def test_workers_need_lmove_only_where_rq_uses_it():
    assert {"BLMOVE", "LMOVE"} <= set(required_commands([WORKER], (6, 2, 0), protocol=2))
    older = required_commands([WORKER], (6, 0, 16), protocol=2)
    assert "BLMOVE" not in older and {"BLPOP", "LPOP", "EVALSHA", "XADD"} <= set(older)
    assert "BLMOVE" not in required_commands([WORKER], None, protocol=2)  # RQ assumes 5.0.9 then


def test_resp3_needs_hello():
    assert "HELLO" in required_commands([FRONT_END], (7, 0, 0), protocol=3)


def test_both_roles_need_the_union():
    both = required_commands([FRONT_END, WORKER], (7, 0, 0), protocol=2)
    assert set(both) == set(required_commands([FRONT_END], (7, 0, 0), 2)) | set(
        required_commands([WORKER], (7, 0, 0), 2)
    )


def test_optional_commands_name_what_is_lost_for_the_roles_that_send_them():
    assert set(optional_commands([FRONT_END])) == {"INFO"}
    worker = optional_commands([WORKER])
    assert {"INFO", "CLIENT", "SUBSCRIBE", "UNSUBSCRIBE"} == set(worker)
    assert "unknown" in worker["CLIENT"]
    assert not set(worker) & set(required_commands([WORKER], (7, 0, 0), 3))


def test_the_client_protocol_comes_from_the_url_or_redis_py():
    assert client_protocol(Redis.from_url("redis://127.0.0.1:1/0?protocol=2")) == 2
    assert client_protocol(Redis.from_url("redis://127.0.0.1:1/0?protocol=3")) == 3
    default = getattr(redis.utils, "DEFAULT_RESP_VERSION", 2)  # 3 since redis-py 8
    assert client_protocol(Redis.from_url("redis://127.0.0.1:1/0")) == default
