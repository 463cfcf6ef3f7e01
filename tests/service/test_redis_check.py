"""The start-up check against real redis-servers, each configured the way a deployment goes wrong."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from service.errors import RedisCheckError
from service.redis_check import check_redis
from service.redis_requirements import FRONT_END, WORKER
from tests.conftest import RedisProcess, free_port

BOTH = [FRONT_END, WORKER]


def check(url: str, roles=BOTH, wait: float | None = 0):
    return check_redis(url, roles, timeout_seconds=2, wait_seconds=wait)


def failure(url: str, roles=BOTH, wait: float | None = 0) -> str:
    with pytest.raises(RedisCheckError) as raised:
        check(url, roles, wait)
    return str(raised.value)


def with_user(url: str, user: str, password: str) -> str:
    return url.replace("redis://", f"redis://{user}:{password}@", 1)


def test_a_plain_redis_passes_and_is_described(redis_url, caplog):
    caplog.set_level(logging.INFO, logger="service.redis_check")
    report = check(redis_url)
    assert report.version is not None and report.version >= (6, 0, 0)
    assert report.server.startswith("Redis ")
    assert report.warnings == []
    assert "maxmemory-policy noeviction" in report.summary()
    assert f"Redis check: {redis_url} is Redis" in caplog.text


def test_the_check_leaves_no_key_behind(redis_server, redis_url):
    check(redis_url)
    assert redis_server.admin().keys("*") == []


def test_an_unreachable_redis_fails_naming_the_url_without_its_password():
    url = f"redis://hooks:hunter2@127.0.0.1:{free_port()}/0"
    message = failure(url)
    assert "redis://hooks:***@127.0.0.1:" in message and "hunter2" not in message
    assert "unreachable" in message and "connection refused" in message
    assert "HUBHOOKS_REDIS_WAIT_SECONDS" in message


def test_an_unreachable_redis_is_retried_until_the_wait_runs_out(caplog):
    started = time.monotonic()
    message = failure(f"redis://127.0.0.1:{free_port()}/0", wait=1.5)
    assert 1.4 <= time.monotonic() - started < 10
    assert "after waiting 1.5 s" in message
    assert "trying again" in caplog.text


def test_a_redis_that_comes_up_while_waited_for_passes(tmp_path):
    server = RedisProcess(tmp_path / "late")  # its port is known before it runs
    starter = threading.Timer(1.0, server.start)
    starter.start()
    try:
        report = check(server.url, wait=None)  # a worker's wait: no bound
    finally:
        starter.join()
        server.stop()
    assert report.version is not None


def test_an_unknown_host_is_named():
    assert "'no-such-host.invalid' does not resolve" in failure("redis://no-such-host.invalid:6379/0")


def test_a_url_without_a_scheme_is_refused_with_the_expected_form():
    message = failure("localhost:6379")
    assert "not a usable Redis URL" in message and "redis://" in message


def test_a_disabled_required_command_fails_and_names_it(start_redis):
    server = start_redis(['rename-command EVALSHA ""'])
    message = failure(server.url, [FRONT_END])
    assert "lacks EVALSHA" in message and "rename-command" in message
    assert "writes each event with one Lua script" in message


def test_a_command_only_workers_need_fails_workers_alone(start_redis):
    server = start_redis(['rename-command HINCRBYFLOAT ""'])
    assert check(server.url, [FRONT_END]).warnings == []
    assert "lacks HINCRBYFLOAT" in failure(server.url, [WORKER])


def test_disabled_optional_commands_are_warnings_naming_what_is_lost(start_redis, caplog):
    server = start_redis(['rename-command CLIENT ""', 'rename-command SUBSCRIBE ""'])
    report = check(server.url, [WORKER])
    assert any("lacks CLIENT" in warning and "'unknown'" in warning for warning in report.warnings)
    assert any("lacks SUBSCRIBE" in warning for warning in report.warnings)
    assert "lacks CLIENT" in caplog.text
    assert check(server.url, [FRONT_END]).warnings == []  # the front end sends neither


def test_a_redis_refusing_info_gives_its_version_through_hello(start_redis):
    server = start_redis(['rename-command INFO ""'])
    report = check(server.url)
    assert report.version is not None and report.version >= (6, 0, 0)
    assert [warning for warning in report.warnings if "INFO" in warning] == [
        f"{server.url} refuses INFO (unknown command 'INFO'): version "
        f"{'.'.join(map(str, report.version))} from HELLO; its settings are not checked"
    ]


def test_a_redis_refusing_command_info_is_a_warning_and_the_script_probe_still_runs(start_redis):
    server = start_redis(['rename-command COMMAND ""'])
    report = check(server.url)
    assert any("cannot list the commands" in warning for warning in report.warnings)
    disabled = start_redis(['rename-command COMMAND ""', 'rename-command EVALSHA ""'])
    assert "cannot run hubhooks' Lua scripts" in failure(disabled.url)


def test_a_server_without_hello_is_told_to_use_protocol_2_which_then_works(start_redis):
    server = start_redis(['rename-command HELLO ""'])  # as Redis 5 or a RESP2-only proxy
    message = failure(server.url)
    assert "does not know HELLO" in message and "protocol=2" in message
    assert check(f"{server.url}?protocol=2").warnings == []


def test_a_user_denied_scripts_by_acl_fails(start_redis):
    server = start_redis(["user default on nopass ~* &* +@all", "user hooks on >pw ~* &* +@all -@scripting"])
    message = failure(with_user(server.url, "hooks", "pw"))
    assert "does not let this user run Lua scripts" in message and "+@scripting" in message
    assert ":pw@" not in message


def test_a_user_denied_rq_keys_by_acl_fails(start_redis):
    server = start_redis(["user default on nopass ~* &* +@all", "user hooks on >pw ~hubhooks:* &* +@all"])
    assert "rq:* and hubhooks:* keys" in failure(with_user(server.url, "hooks", "pw"))


def test_a_wrong_password_fails_at_once_without_waiting(start_redis):
    server = start_redis(["user default on nopass ~* &* +@all", "user hooks on >pw ~* &* +@all"])
    started = time.monotonic()
    message = failure(with_user(server.url, "hooks", "wrong"), wait=30)
    assert time.monotonic() - started < 10
    assert "authentication failed" in message and "wrong" not in message


def test_a_replica_is_refused(start_redis):
    server = start_redis([f"replicaof 127.0.0.1 {free_port()}"])
    assert "read-only replica: point REDIS_URL at its primary" in failure(server.url)


def test_cluster_mode_is_refused(start_redis):
    server = start_redis(["cluster-enabled yes", f"cluster-port {free_port()}"])
    assert "cluster mode, which RQ does not support" in failure(server.url)


def test_an_evicting_memory_policy_is_a_warning(start_redis):
    server = start_redis(["maxmemory 100mb", "maxmemory-policy allkeys-lru"])
    (warning,) = check(server.url).warnings
    assert "maxmemory-policy allkeys-lru" in warning and "noeviction" in warning


def test_a_full_redis_is_a_warning_not_a_failure(start_redis):
    server = start_redis(["maxmemory 1"])  # every write refused with OOM
    (warning,) = check(server.url).warnings
    assert "refuses writes now" in warning and "503" in warning


# TLS.


def test_tls_with_the_ca_in_the_url_passes(start_redis, tls_files):
    server = start_redis(tls=tls_files)
    assert server.url.startswith("rediss://") and "ssl_ca_certs=" in server.url
    assert check(server.url).warnings == []


def test_tls_without_the_ca_says_to_name_it(start_redis, tls_files):
    server = start_redis(tls=tls_files)
    message = failure(server.url.split("?")[0], wait=30)  # fails at once: waiting would not help
    assert "TLS certificate is not trusted" in message and "ssl_ca_certs=" in message


def test_tls_with_a_missing_ca_file_says_so(start_redis, tls_files):
    server = start_redis(tls=tls_files)
    message = failure(server.url.split("?")[0] + "?ssl_ca_certs=/no/such/ca.pem")
    assert "a file the URL names does not exist" in message


def test_a_plain_url_to_a_tls_port_suggests_rediss(start_redis, tls_files):
    server = start_redis(tls=tls_files)
    plain = server.url.split("?")[0].replace("rediss://", "redis://")
    assert "use rediss://" in failure(plain)


def test_a_tls_url_to_a_plain_port_suggests_redis(redis_url):
    message = failure(redis_url.replace("redis://", "rediss://"), wait=30)
    assert "TLS handshake" in message and "use redis://" in message
