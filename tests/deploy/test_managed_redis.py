"""What managed Redis services ask of a deployment, through a real front end and worker.

- TLS only: rediss:// against a local redis-server that listens on a TLS port alone, its
  certificate signed by a CA made for the test (the URL names it with ``ssl_ca_certs``).
- No RESP3 (Redis 5, some proxies): ``protocol=2`` in the URL, as the start-up check advises.
"""

from __future__ import annotations

import json

import httpx
import pytest
from redis import Redis
from redis.exceptions import ConnectionError

from tests.conftest import SECRET, load_payload, ran_events, wait_until

BODY = load_payload("repo-content-updated-refs.json")


def post(web) -> httpx.Response:
    return httpx.post(
        web.url + "/webhooks/sync_handler",
        content=json.dumps(BODY),
        headers={"X-Webhook-Secret": SECRET},
        timeout=10,
    )


def test_a_hub_event_goes_through_a_tls_only_redis(start_redis, tls_files, front_end, worker):
    server = start_redis(tls=tls_files)
    assert server.url.startswith("rediss://127.0.0.1:") and f"ssl_ca_certs={tls_files.ca}" in server.url
    plain = f"redis://127.0.0.1:{server.port}/0"
    with pytest.raises(ConnectionError, match=r"reset|closed"):  # the port takes no plain connection
        Redis.from_url(plain, socket_timeout=2).ping()

    web = front_end(server.url)
    handlers = worker(server.url)
    answer = post(web)
    assert answer.status_code == 202, answer.text
    (run,) = wait_until(lambda: ran_events(server.url), timeout=60)
    assert run["event_id"] == answer.json()["event_id"] and run["head_sha"] == BODY["repo"]["headSha"]
    assert httpx.get(web.url + "/health/ready", timeout=10).json()["workers"] == 1
    for process in (web, handlers):
        assert f"Redis check: rediss://127.0.0.1:{server.port}/0?ssl_ca_certs=" in process.output()


def test_a_hub_event_goes_through_a_redis_without_resp3_over_protocol_2(start_redis, front_end, worker):
    server = start_redis(['rename-command HELLO ""'])  # what Redis 5 and RESP2-only proxies lack
    url = f"{server.url}?protocol=2"
    web = front_end(url)
    worker(url)
    answer = post(web)
    assert answer.status_code == 202, answer.text
    (run,) = wait_until(lambda: ran_events(url), timeout=60)
    assert run["event_id"] == answer.json()["event_id"]
