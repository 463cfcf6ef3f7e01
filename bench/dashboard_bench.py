"""Dashboard reads against a large dead letter: ``python bench/dashboard_bench.py [--jobs 100000]``.

Starts its own redis-server on a free port in a temporary directory, writes ``--jobs`` failed
hubhooks jobs (job hash, failed registry, events index; received within the last hour, the
plot's worst case) through pipelines, on two queues as an app with a ``queue="gpu"`` endpoint
has them (one job in six on ``gpu``), then times each read a dashboard refresh makes, plus the
per-route scan behind "requeue all failed of a route". Prints one table, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from redis import Redis
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service import jobs
from service.dashboard.activity import events_per_minute
from service.dashboard.counts import overview, route_counts
from service.dashboard.events import Cursor, event_detail, events_page
from service.enqueue import JOB_FUNCTION, events_key

QUEUE = "hubhooks"
GPU = "gpu"
QUEUES = [QUEUE, GPU]
ROUTES = {f"/webhooks/route_{number}": QUEUE for number in range(5)} | {"/webhooks/on_gpu": GPU}
ROUTE_OF = list(ROUTES)
BATCH = 5000
PAYLOAD = Path(__file__).resolve().parents[1] / "tests" / "payloads" / "repo-content-updated-refs.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], Redis]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    client = Redis(port=port)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            return process, client
        except Exception:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("redis-server did not start")


def template(connection: Redis, body: str) -> dict[str, object]:
    """A failed hubhooks job's hash, as RQ writes it, to copy under many ids."""
    job = Job.create(
        JOB_FUNCTION,
        args=("app.py", ROUTE_OF[0], body, {"event_id": "e", "route": ROUTE_OF[0]}),
        connection=connection,
        serializer=JSONSerializer,
        origin=QUEUE,
        result_ttl=7 * 86400,
        failure_ttl=30 * 86400,
        meta={"event_id": "e", "route": ROUTE_OF[0], "attempt": 1},
    )
    job.set_status(JobStatus.FAILED, pipeline=connection.pipeline())  # sets the field, writes nothing
    fields = job.to_dict()
    fields.update(enqueued_at="2024-01-01T00:00:00.000000Z", started_at="2024-01-01T00:00:01.000000Z")
    fields["ended_at"] = "2024-01-01T00:00:02.000000Z"
    return fields


def fill(connection: Redis, count: int) -> float:
    """Write ``count`` failed jobs spread over the last hour; return the seconds it took."""
    started = time.perf_counter()
    body = PAYLOAD.read_text() if PAYLOAD.exists() else json.dumps({"repo": {"name": "org/repo"}})
    fields = template(connection, body)
    failed = {
        name: FailedJobRegistry(name, connection=connection, serializer=JSONSerializer).key for name in QUEUES
    }
    now = time.time()
    for start in range(0, count, BATCH):
        with connection.pipeline(transaction=False) as pipe:
            for number in range(start, min(count, start + BATCH)):
                job_id = uuid.uuid4().hex
                route = ROUTE_OF[number % len(ROUTE_OF)]
                queue = ROUTES[route]
                meta = JSONSerializer.dumps({"event_id": job_id, "route": route, "attempt": 1})
                pipe.hset(Job.key_for(job_id), mapping={**fields, "meta": meta, "origin": queue})
                pipe.zadd(failed[queue], {job_id: now + 30 * 86400})
                pipe.zadd(events_key(queue), {job_id: now - 3600 + 3600 * number / count})
            pipe.execute()
    return time.perf_counter() - started


def timed(function: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and worst of ``runs`` calls, in milliseconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def refresh(connection: Redis) -> None:
    """What one dashboard refresh reads (the tab shares the first and last across sessions)."""
    overview(connection, QUEUES, ROUTES)
    events_page(connection, QUEUES)
    events_per_minute(connection, QUEUES)


def deep_cursor(connection: Redis, rank: int) -> Cursor:
    """The cursor of the default queue's event at ``rank`` (newest first): a page far back."""
    ((job_id, score),) = connection.zrevrange(events_key(QUEUE), rank, rank, withscores=True)
    return Cursor(score, job_id.decode())


def report(connection: Redis, runs: int) -> None:
    """Time each read, then the bulk requeue of one route (last: it changes the data)."""
    c, qs = connection, QUEUES
    some_id = c.zrevrange(events_key(QUEUE), 0, 0)[0].decode()
    indexed = sum(c.zcard(events_key(name)) for name in qs)
    deep = deep_cursor(c, c.zcard(events_key(QUEUE)) * 4 // 5)
    route = ROUTE_OF[0]
    reads: list[tuple[str, Callable[[], object], int]] = [
        ("queue counts, 2 queues (ZCARD/LLEN)", lambda: [jobs.queue_counts(c, name) for name in qs], runs),
        ("per-route counts (newest 2,000)", lambda: route_counts(c, qs, ROUTES, time.time()), runs),
        ("overview (counts, routes, workers)", lambda: overview(c, qs, ROUTES), runs),
        ("events page 1 (20 rows, 2 queues merged)", lambda: events_page(c, qs), runs),
        (f"events page at {indexed * 2 // 3:,} (cursor)", lambda: events_page(c, qs, deep), runs),
        ("events per minute (last hour, cap 5,000)", lambda: events_per_minute(c, qs), runs),
        ("one event in detail", lambda: event_detail(c, some_id), runs),
        ("refresh = overview + page + plot", lambda: refresh(c), runs),
        ("action scan: failed ids of one route", lambda: jobs.failed_job_ids(c, QUEUE, route), 3),
    ]
    print(f"{'read':<44}{'median ms':>12}{'max ms':>10}{'runs':>6}")
    for name, read, count in reads:
        median, worst = timed(read, count)
        print(f"{name:<44}{median:>12.1f}{worst:>10.1f}{count:>6}")
    started = time.perf_counter()
    requeued = jobs.requeue_failed(c, QUEUE, route=route)
    took = (time.perf_counter() - started) * 1000
    name = f"action: requeue all of one route ({len(requeued):,})"
    print(f"{name:<44}{took:>12.1f}{took:>10.1f}{1:>6}")
    failed = sum(jobs.queue_counts(c, name).failed for name in qs)
    queued = sum(jobs.queue_counts(c, name).queued for name in qs)
    print(f"\nafter: failed={failed:,} queued={queued:,} indexed={indexed:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=100_000, help="failed jobs to write")
    parser.add_argument("--runs", type=int, default=20, help="timed calls per read")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        process, connection = start_redis(Path(directory))
        try:
            seconds = fill(connection, options.jobs)
            print(f"wrote {options.jobs:,} failed jobs in {seconds:.1f} s\n")
            report(connection, options.runs)
        finally:
            process.kill()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
