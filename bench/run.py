"""hubhooks benchmark: ``python -m bench.run`` prints a table and the ratios the targets use.

Everything runs in this process tree on this machine: a throwaway redis-server, a bare FastAPI
ceiling route (bench/ceiling.py), the hubhooks front end and workers. Ratios, not absolute
numbers, are what the targets speak of; the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import httpx
from rq import Queue, SimpleWorker
from rq.registry import FinishedJobRegistry
from rq.serializers import JSONSerializer

from bench.load import BODY, LoadResult, wrk
from bench.processes import SECRET, Child, Redisd, free_port, hubhooks, rss_mb, start_http, wait_for
from service.enqueue import EventQueue, events_key
from workers.job import handler_for

APP = "bench/bench_app.py"
QUEUE = "hubhooks"


def serve(redis: Redisd) -> tuple[Child, str]:
    port = free_port()
    env = {"REDIS_URL": redis.url, "WEBHOOK_SECRET": SECRET}
    return start_http(hubhooks("serve", APP, "--port", str(port)), port, env), f"http://127.0.0.1:{port}"


def worker(redis: Redisd) -> Child:
    return Child(hubhooks("worker", APP), {"REDIS_URL": redis.url})


def ceiling(seconds: int) -> dict[int, LoadResult]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.ceiling:app", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log"]
    child = start_http(command, port, {"WEBHOOK_SECRET": SECRET})
    try:
        return {c: wrk(f"http://127.0.0.1:{port}/webhooks/noop", c, seconds) for c in (16, 64)}
    finally:
        child.stop()


def ingest(
    redis: Redisd, route: str, seconds: int, blocking_workers: int = 0
) -> tuple[dict[int, LoadResult], float]:
    """Load one route; check every 2xx counted is an event in Redis. Returns results and web RSS."""
    redis.client.flushall()
    web, url = serve(redis)
    workers = [worker(redis) for _ in range(blocking_workers)]
    try:
        if workers:
            wait_for(lambda: redis.client.scard("rq:workers") == len(workers))
        results = {c: wrk(f"{url}/webhooks/{route}", c, seconds) for c in (16, 64)}
        stored = redis.client.zcard(events_key(QUEUE))
        acknowledged = sum(result.ok for result in results.values())
        in_flight = sum(results.keys())  # connections: requests unanswered when wrk stopped may be stored
        if not acknowledged <= stored <= acknowledged + in_flight:
            raise SystemExit(
                f"CHECK FAILED: {acknowledged} acknowledged on {route} but {stored} events in Redis"
            )
        return results, rss_mb(web.pid)
    finally:
        for child in [web, *workers]:
            child.stop()


def fill(redis: Redisd, jobs: int, route: str = "/webhooks/noop") -> None:
    queue = EventQueue(redis.client, QUEUE, APP, job_timeout=60)
    handler = handler_for(APP, route)
    body = BODY.read_text()
    for number in range(jobs):
        queue.enqueue(handler, body.replace("5e7f29fffcc579cb52539fddb14a1a4f85f39e44", f"{number:040d}"))


def drain_rate(redis: Redisd, jobs: int) -> float:
    """Jobs per second from the first job's start to the last job's end (startup excluded)."""
    registry = FinishedJobRegistry(QUEUE, connection=redis.client, serializer=JSONSerializer)
    wait_for(lambda: registry.get_job_count(cleanup=False) == jobs, timeout=300, interval=0.1)
    queue = Queue(QUEUE, connection=redis.client, serializer=JSONSerializer)
    finished = [queue.fetch_job(job_id) for job_id in registry.get_job_ids(cleanup=False)]
    first = min(job.started_at for job in finished if job and job.started_at)
    last = max(job.ended_at for job in finished if job and job.ended_at)
    return jobs / (last - first).total_seconds()


def worker_throughput(redis: Redisd, count: int, jobs: int, *options: str) -> float:
    """Jobs per second of ``count`` worker processes draining ``jobs`` no-op events.

    The jobs are held aside (the queue's list renamed) until every worker is registered and
    waiting, then handed over at once (RENAME wakes the workers' blocking pops): one worker's
    start-up must not count against the others' throughput (start time is measured in (5)).
    """
    redis.client.flushall()
    fill(redis, jobs)
    queue_list = f"rq:queue:{QUEUE}"
    redis.client.rename(queue_list, f"{queue_list}:held")
    command = hubhooks("worker", APP, *options)
    children = [Child(command, {"REDIS_URL": redis.url}) for _ in range(count)]
    try:
        wait_for(lambda: redis.client.scard("rq:workers") == count)
        time.sleep(0.5)  # each is blocked on the queue by now
        redis.client.rename(f"{queue_list}:held", queue_list)
        return drain_rate(redis, jobs)
    finally:
        for child in children:
            child.stop()


def rq_reference(redis: Redisd, jobs: int) -> float:
    """RQ's own SimpleWorker on a plain function, in this process: the reference for (3)."""
    redis.client.flushall()
    queue = Queue(QUEUE, connection=redis.client, serializer=JSONSerializer)
    with redis.client.pipeline() as pipe:
        for _ in range(jobs):
            queue.enqueue("bench.noop.noop", pipeline=pipe)
        pipe.execute()
    SimpleWorker([queue], connection=redis.client, serializer=JSONSerializer).work(
        burst=True, logging_level="WARNING"
    )
    return drain_rate(redis, jobs)


def start_latency(redis: Redisd, events: int) -> list[float]:
    """POST -> handler start, in ms, one event at a time to idle workers."""
    redis.client.flushall()
    web, url = serve(redis)
    workers = [worker(redis) for _ in range(2)]
    payload = json.loads(BODY.read_text())
    try:
        wait_for(lambda: redis.client.scard("rq:workers") == 2)
        with httpx.Client(headers={"X-Webhook-Secret": SECRET}) as client:
            for _ in range(events):
                payload["sent_at"] = time.time()
                assert client.post(f"{url}/webhooks/probe", json=payload).status_code == 202
                wait_for(lambda: redis.client.llen("bench:latency") > 0, timeout=10, interval=0.0005)
                time.sleep(0.02)
        samples = [1000 * json.loads(item) for item in redis.client.lrange("bench:latency", 0, -1)]
        return samples[:events]
    finally:
        for child in [web, *workers]:
            child.stop()


def worker_start(redis: Redisd) -> tuple[float, float]:
    """Seconds from spawn to a registered, idle worker; its RSS after 100 no-op jobs."""
    redis.client.flushall()
    child = worker(redis)
    try:
        wait_for(lambda: redis.client.scard("rq:workers") == 1, interval=0.005)
        started = time.monotonic() - child.started
        fill(redis, 100)
        registry = FinishedJobRegistry(QUEUE, connection=redis.client, serializer=JSONSerializer)
        wait_for(lambda: registry.get_job_count(cleanup=False) == 100)
        return started, rss_mb(child.pid)
    finally:
        child.stop()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--jobs", type=int, default=2000, help="jobs per worker-throughput run")
    args = parser.parse_args()
    redis = Redisd()
    try:
        bare = ceiling(args.seconds)
        durable, web_rss = ingest(redis, "noop", args.seconds)
        blocked, _ = ingest(redis, "block", args.seconds, blocking_workers=2)
        one = worker_throughput(redis, 1, args.jobs)
        two = worker_throughput(redis, 2, args.jobs)
        reference = rq_reference(redis, args.jobs)
        forking = worker_throughput(redis, 1, max(100, args.jobs // 10), "--fork")
        latency = start_latency(redis, 200)
        start_seconds, worker_rss = worker_start(redis)
    finally:
        redis.stop()
    report(
        args,
        bare,
        durable,
        blocked,
        one,
        two,
        reference,
        forking,
        latency,
        start_seconds,
        worker_rss,
        web_rss,
    )


def report(
    args, bare, durable, blocked, one, two, reference, forking, latency, start_seconds, worker_rss, web_rss
) -> None:
    print(f"hubhooks bench: {args.seconds}s per wrk run, {args.jobs} jobs per worker run\n")
    print("| measure | c16 | c64 |")
    print("| --- | --- | --- |")
    for name, results in (
        ("bare ceiling", bare),
        ("(1) durable ingest", durable),
        ("(2) ingest, handlers block 10 s", blocked),
    ):
        cells = [
            f"{r.per_second:,.0f}/s p50 {r.p50_ms:.1f}ms p99 {r.p99_ms:.1f}ms failed {r.non_2xx + r.errors}"
            for r in (results[16], results[64])
        ]
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    print()
    rows = [
        ("(1) durable / ceiling at c16", durable[16].per_second / bare[16].per_second, ">= 0.65"),
        ("(1) durable / ceiling at c64", durable[64].per_second / bare[64].per_second, ">= 0.65"),
        ("(1) p99 at c16, ms", durable[16].p99_ms, "<= 20"),
        ("(2) blocked / durable at c16", blocked[16].per_second / durable[16].per_second, ">= 0.9"),
        ("(3) one worker, jobs/s", one, ""),
        ("(3) two workers, jobs/s", two, ""),
        ("(3) RQ SimpleWorker reference, jobs/s", reference, ""),
        ("(3) one worker / reference", one / reference, ">= 1.1"),
        ("(3) two workers / one", two / one, ">= 1.7"),
        ("(3) one --fork worker, jobs/s (isolation's cost)", forking, ""),
        ("(4) POST -> handler start p50, ms", statistics.median(latency), "<= 10"),
        ("(4) POST -> handler start p99, ms", percentile(latency, 0.99), ""),
        ("(5) worker start, s", start_seconds, "<= 1.5"),
        ("(5) worker RSS after 100 jobs, MB", worker_rss, "<= 120"),
        ("(5) web RSS after load, MB", web_rss, ""),
    ]
    print("| figure | value | target |")
    print("| --- | --- | --- |")
    for name, value, target in rows:
        print(f"| {name} | {value:,.2f} | {target} |")
    print("\nchecked: every 2xx counted by wrk is an event in Redis")


if __name__ == "__main__":
    main()
