"""Fixtures for the dashboard's data layer: the session redis-server, events written the way the
front end writes them, and jobs run in-process by a real RQ worker."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from redis import Redis

from service.enqueue import EventQueue
from service.handler import Handler
from service.loader import load_app
from tests.conftest import load_payload
from workers import job as job_module
from workers.worker import build_worker

APP = "tests/dashboard/dashboard_app.py"
QUEUE = "hubhooks"
GPU = "gpu"
QUEUES = [QUEUE, GPU]
BODY = load_payload("repo-content-updated-refs.json")


def body_for(repo: str = BODY["repo"]["name"], action: str = "update") -> str:
    """The shared content-update payload, for another repo or action."""
    body = json.loads(json.dumps(BODY))
    body["repo"]["name"] = repo
    body["event"]["action"] = action
    return json.dumps(body)


@pytest.fixture(scope="session")
def handlers() -> dict[str, Handler]:
    return load_app(APP).server.handlers


@pytest.fixture
def connection(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def event_queue(connection: Redis, handlers: dict[str, Handler]) -> EventQueue:
    return EventQueue(connection, QUEUE, APP, job_timeout=60, handlers=handlers.values())


@pytest.fixture
def post(event_queue: EventQueue, handlers: dict[str, Handler]) -> Callable[..., str]:
    """Accept an event on ``/webhooks/<name>`` as the front end would; return its job id."""

    def accept(name: str, body: str | None = None) -> str:
        outcome = event_queue.enqueue(handlers[f"/webhooks/{name}"], body or body_for())
        return outcome.duplicate_of or outcome.meta.job_id

    return accept


@pytest.fixture
def work(
    connection: Redis, handlers: dict[str, Handler], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., None]:
    """Run every queued job of ``queues`` (both by default) in this process with a real RQ
    worker, then return.

    The app is installed in a registry of this test's own: a worker process serving one app runs
    any job with it, so a leftover install would run other tests' jobs with these handlers.
    """
    monkeypatch.setattr(job_module, "_apps", {})

    def run(queues: list[str] = QUEUES) -> None:
        job_module.install_app(APP, handlers)
        build_worker(connection, queues).work(burst=True)

    return run
