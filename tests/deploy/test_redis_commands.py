"""The start-up check's command lists hold what the roles really send.

A front end and workers run under ``MONITOR`` (which also shows the commands Lua scripts call)
through retries, failures, timeouts, duplicates and both ways RQ dequeues; every command seen must be
one :mod:`service.redis_requirements` lists for that role, so that a renamed or disabled command is
caught at start and not on the first event. A new RQ that sends a new command fails this test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
from redis import Redis

from service import jobs
from service.redis_requirements import (
    FRONT_END,
    WORKER,
    client_protocol,
    optional_commands,
    parse_version,
    required_commands,
)
from tests.conftest import SECRET, RedisProcess, load_payload, wait_until

APP = "tests/apps/policy_app.py"
BODY = load_payload("repo-content-updated-refs.json")
# What the check itself sends, beyond the roles' own commands (workers run it inside the window).
CHECK_ONLY = {"COMMAND"}


class Monitor:
    """``redis-cli monitor`` into a file, from :meth:`start` to :meth:`commands`."""

    def __init__(self, server: RedisProcess, log: Path) -> None:
        self.server, self.log = server, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        redis_cli = shutil.which("redis-cli")
        assert redis_cli, "redis-cli comes with Debian's redis-server (redis-tools)"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [redis_cli, "-p", str(self.server.port), "monitor"], stdout=sink, stderr=subprocess.STDOUT
            )
        wait_until(lambda: "OK" in self.log.read_text(), timeout=10)

    def commands(self, ignoring: str = "") -> set[str]:
        """The command names seen so far (``CLIENT`` for ``CLIENT SETNAME``), except those of the
        client at address ``ignoring`` (the test's own); stops monitoring."""
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)
        seen = re.findall(r'^\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"', self.log.read_text(), flags=re.MULTILINE)
        return {name.upper() for client, name in seen if client != ignoring}


def own_client(server: RedisProcess) -> tuple[Redis, str]:
    """A client on one connection, and its address as MONITOR shows it."""
    client = Redis.from_url(server.url, protocol=2, single_connection_client=True)
    me = client.client_id()
    (address,) = [entry["addr"] for entry in client.client_list() if int(entry["id"]) == me]
    return client, address


def declared(roles: list[str], server: RedisProcess) -> set[str]:
    version = parse_version(server.admin().info("server")["redis_version"])
    protocol = client_protocol(Redis.from_url(server.url))  # as the front end and workers connect
    return set(required_commands(roles, version, protocol)) | set(optional_commands(roles))


def post(web, route: str) -> str:
    answer = httpx.post(
        f"{web.url}/webhooks/{route}",
        content=json.dumps(BODY),
        headers={"X-Webhook-Secret": SECRET},
        timeout=10,
    )
    assert answer.status_code in (200, 202), answer.text
    return answer.json()["job_id"]


def test_the_front_end_and_workers_send_only_commands_the_check_knows(
    start_redis, front_end, worker, tmp_path
):
    server = start_redis()
    web = front_end(server.url, app=APP)  # its own check runs before the window opens

    front_end_window = Monitor(server, tmp_path / "front-end.monitor")
    front_end_window.start()
    job_ids = {route: post(web, route) for route in ("flaky", "too_slow", "always_fails", "deduplicated")}
    post(web, "deduplicated")  # a duplicate: the script's early return
    assert httpx.get(web.url + "/health/ready", timeout=10).json()["redis"] is True
    sent_by_front_end = front_end_window.commands()
    assert {"EVALSHA", "PING", "SMEMBERS"} <= sent_by_front_end  # the window saw the work
    assert sent_by_front_end <= declared([FRONT_END], server), sent_by_front_end - declared(
        [FRONT_END], server
    )

    both_window = Monitor(server, tmp_path / "workers.monitor")
    both_window.start()
    worker(server.url, APP)  # one queue: RQ moves jobs with BLMOVE
    worker(server.url, APP, "--queue", "hubhooks", "--queue", "other")  # several: BLPOP
    connection, address = own_client(server)
    expected = {
        "flaky": "finished",
        "too_slow": "failed",
        "always_fails": "failed",
        "deduplicated": "finished",
    }

    def settled() -> bool:
        states = {
            route: jobs.fetch_job(connection, job_id).get_status(refresh=True)
            for route, job_id in job_ids.items()
        }
        return {route: str(getattr(state, "value", state)) for route, state in states.items()} == expected

    wait_until(settled, timeout=90, interval=0.5)  # flaky succeeds on a retry the scheduler runs
    sent = both_window.commands(ignoring=address)
    assert {"BLMOVE", "BLPOP", "XADD", "EVALSHA", "ZADD"} <= sent  # the window saw the work
    allowed = declared([FRONT_END, WORKER], server) | CHECK_ONLY
    assert sent <= allowed, f"not in service/redis_requirements.py: {sorted(sent - allowed)}"
