"""The fault suite: a stream of numbered events through real processes while faults are injected.

Faults: a worker SIGKILLed mid-job, the front end SIGKILLed under load, Redis stopped and started
(with AOF) under load, handlers that fail once, time out once, or always fail. The sender acts
like the Hub: it retries a delivery until it gets a 2xx, and delivers some events twice.
Afterwards every event is accounted for; ``lost`` must be 0.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest
from redis import Redis

from service import jobs
from tests.apps.fault_app import kind
from tests.conftest import SECRET, RedisProcess, free_port, hubhooks, load_payload, wait_until

APP = "tests/apps/fault_app.py"
EVENTS = 200
BASE = load_payload("repo-content-updated-refs.json")


@dataclass
class Ledger:
    """What the sender saw, per event number."""

    answers: dict[int, list[dict]] = field(default_factory=dict)
    server_errors: list[tuple[int, str]] = field(default_factory=list)
    connection_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, number: int, answer: dict) -> None:
        with self.lock:
            self.answers.setdefault(number, []).append(answer)


def deliver(url: str, number: int, ledger: Ledger) -> None:
    """POST one event until a 2xx answers it, as the Hub retries failed deliveries."""
    body = json.dumps({**BASE, "number": number})
    for _ in range(200):
        try:
            answer = httpx.post(url, content=body, headers={"X-Webhook-Secret": SECRET}, timeout=5)
        except httpx.HTTPError:
            with ledger.lock:
                ledger.connection_errors += 1
            time.sleep(0.2)  # front end down: retry
            continue
        if answer.status_code >= 500:
            with ledger.lock:
                ledger.server_errors.append((answer.status_code, answer.text))
            time.sleep(0.3)
            continue
        assert answer.status_code in (200, 202), answer.text
        ledger.record(number, answer.json())
        return
    raise AssertionError(f"event {number} was never acknowledged")


def send_stream(url: str, ledger: Ledger) -> None:
    def one(number: int) -> None:
        deliver(url, number, ledger)
        if number % 5 == 0:  # the Hub's retries and replays resend the same body
            deliver(url, number, ledger)
        time.sleep(0.1)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, range(EVENTS)))


@pytest.mark.timeout(400)
def test_every_acknowledged_event_runs_despite_faults(tmp_path, spawn):
    redis = RedisProcess(tmp_path / "redis", appendonly=True)
    redis.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/numbered"
    env = {"REDIS_URL": redis.url, "WEBHOOK_SECRET": SECRET, "HUBHOOKS_RETRY_AFTER_SECONDS": "1"}

    def start_front_end():
        process = spawn(hubhooks("serve", APP, "--port", str(port)), env, name="serve")
        wait_until(lambda: _answers(port), timeout=60, interval=0.1)
        return process

    def start_worker():
        return spawn(hubhooks("worker", APP), env, name="worker")

    front_end = start_front_end()
    workers = [start_worker(), start_worker()]
    ledger = Ledger()
    sender = threading.Thread(target=send_stream, args=(url, ledger))
    try:
        sender.start()
        client = Redis.from_url(redis.url)

        wait_until(lambda: client.llen("fault:starts") >= 10, timeout=60)
        workers[0].popen.send_signal(signal.SIGKILL)  # mid-job: jobs take 0.15 s and the queue is busy
        workers[0].kill_group()
        workers.append(start_worker())

        time.sleep(2)
        front_end.popen.send_signal(signal.SIGKILL)
        time.sleep(0.5)
        front_end = start_front_end()

        time.sleep(2)
        redis.stop(graceful=True)  # SIGTERM: Redis writes its AOF out and exits
        time.sleep(2)
        redis.start()  # same port, same directory: the AOF is loaded back

        sender.join(timeout=300)
        assert not sender.is_alive(), "the sender did not finish"
        acknowledged = sorted(ledger.answers)
        expected_failures = {n for n in acknowledged if kind(n) == "always-fails"}
        expected_runs = set(acknowledged) - expected_failures

        def completed() -> set[int]:
            return {json.loads(item)["number"] for item in client.lrange("fault:completions", 0, -1)}

        def dead_letter_numbers() -> set[int]:
            failed = set()
            for job_id in jobs.failed_job_ids(client, "hubhooks"):
                failed.add(json.loads(jobs.fetch_job(client, job_id).args[2])["number"])
            return failed

        deadline = time.monotonic() + 150
        while not expected_runs <= completed() and time.monotonic() < deadline:
            time.sleep(0.5)
        missing = sorted(expected_runs - completed())
        if missing:
            starts = [json.loads(item) for item in client.lrange("fault:starts", 0, -1)]
            for number in missing:
                job_id = ledger.answers[number][0]["job_id"]
                job = jobs.fetch_job(client, job_id) if client.exists(f"rq:job:{job_id}") else None
                print(
                    number,
                    kind(number),
                    ledger.answers[number],
                    [s for s in starts if s["number"] == number],
                    job and job.get_status(),
                    job and job.latest_result() and job.latest_result().exc_string,
                )
            print(jobs.queue_counts(client, "hubhooks"))
        assert not missing, f"never completed: {missing}"
        wait_until(lambda: expected_failures <= dead_letter_numbers(), timeout=60, interval=0.5)

        completions = Counter(
            json.loads(item)["number"] for item in client.lrange("fault:completions", 0, -1)
        )
        twice_delivered = [n for n in acknowledged if n % 5 == 0]
        duplicates = sum(1 for n in twice_delivered for a in ledger.answers[n] if a["status"] == "duplicate")
        lost = sorted(expected_runs - set(completions)) + sorted(expected_failures - dead_letter_numbers())
        print(
            f"\nfault suite: sent={EVENTS} acknowledged={len(acknowledged)} ran={len(set(completions))} "
            f"duplicates={duplicates} dead-lettered={len(expected_failures)} "
            f"5xx={len(ledger.server_errors)} refused-connections={ledger.connection_errors} lost={len(lost)}"
        )
        assert len(acknowledged) == EVENTS
        assert lost == []
        assert all(status == 503 and "Redis" in text for status, text in ledger.server_errors)
        assert ledger.server_errors, "the Redis outage happened while no event was being sent"
        assert ledger.connection_errors, "the front end was killed while no event was being sent"
        for number in twice_delivered:
            first, second = ledger.answers[number]
            if second["status"] == "duplicate":
                assert second["job_id"] == first["job_id"]
                assert completions[number] == 1, (
                    f"event {number} delivered twice ran {completions[number]} times"
                )
        assert duplicates >= len(twice_delivered) // 2  # the dedup mark survives the faults for most
    finally:
        sender.join(timeout=1)
        redis.stop()


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
