"""The dashboard's events: a page of recent events, newest first, and one event in detail.

Everything pages over the events index (:func:`service.enqueue.events_key`: job ids scored by
receive time, newest last), so a read costs the page, not the backlog: ZREVRANGE with bounds,
then the jobs of that page in one pipeline (``Job.fetch_many``). An id whose job hash is gone
is an event whose job expired (its retention passed) or was deleted: its status is ``expired``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

from redis import Redis
from rq.exceptions import DeserializationError
from rq.job import Job
from rq.results import Result
from rq.serializers import JSONSerializer

from service.enqueue import events_key

EXPIRED = "expired"


@dataclass(frozen=True)
class EventRow:
    """One event as the events table shows it."""

    job_id: str
    received_at: datetime
    route: str | None
    repo: str | None
    scope: str | None
    action: str | None
    status: str
    attempts: int
    duration_seconds: float | None


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first; ``page`` counts from 0."""

    rows: list[EventRow]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the index holds now (at least 1)."""
        return max(1, math.ceil(self.total / self.page_size))


@dataclass(frozen=True)
class Outcome:
    """How one run of an event's job ended, from RQ's results stream.

    RQ records a run that ends the job's course (finished, failed into the dead letter, stopped);
    a run that failed and was retried leaves no record, only the job's run count.
    """

    outcome: str
    at: datetime
    duration_seconds: float | None
    worker: str
    error: str | None


@dataclass(frozen=True)
class EventDetail:
    """Everything the dashboard shows about one event."""

    job_id: str
    status: str
    route: str | None
    received_at: datetime | None
    payload: str
    result: str | None
    traceback: str | None
    runs: int
    outcomes: list[Outcome]


def events_page(connection: Redis, queue_name: str, page: int, page_size: int = 20) -> EventPage:
    """Page ``page`` of the queue's events, newest first (a page past the end is the last page)."""
    key = events_key(queue_name)
    total = cast(int, connection.zcard(key))
    page = max(0, min(page, math.ceil(total / page_size) - 1))
    entries = cast(
        "list[tuple[bytes, float]]",
        connection.zrevrange(key, page * page_size, (page + 1) * page_size - 1, withscores=True),
    )
    ids = [job_id.decode() for job_id, _score in entries]
    found = Job.fetch_many(ids, connection=connection, serializer=JSONSerializer)
    rows = [_row(job_id, score, job) for job_id, (_, score), job in zip(ids, entries, found, strict=True)]
    return EventPage(rows, page, page_size, total)


def event_detail(connection: Redis, job_id: str) -> EventDetail | None:
    """The payload, result or traceback and the attempts of one event; ``None`` once expired."""
    (job,) = Job.fetch_many([job_id], connection=connection, serializer=JSONSerializer)
    if job is None:
        return None
    _app, route, body, meta = _arguments(job)
    outcomes = _outcomes(job)
    result = traceback = None
    latest = job.latest_result()
    if latest is not None and latest.type == Result.Type.SUCCESSFUL:
        result = json.dumps(latest.return_value, indent=2, default=repr)
    elif latest is not None:
        traceback = latest.exc_string or None
    status = job.get_status(refresh=False)
    return EventDetail(
        job_id=job.id,
        status=status.value if status is not None else EXPIRED,
        route=route,
        received_at=_parse_time(meta.get("received_at")) or job.enqueued_at,
        payload=_pretty(body),
        result=result,
        traceback=traceback,
        runs=int(job.meta.get("attempt", 0)),
        outcomes=outcomes,
    )


def _row(job_id: str, score: float, job: Job | None) -> EventRow:
    received = datetime.fromtimestamp(score, timezone.utc)
    if job is None:
        return EventRow(job_id, received, None, None, None, None, EXPIRED, 0, None)
    _app, route, body, _meta = _arguments(job)
    payload = _json(body)
    repo, event = payload.get("repo"), payload.get("event")
    duration = None
    if job.started_at is not None and job.ended_at is not None:
        duration = max(0.0, (job.ended_at - job.started_at).total_seconds())
    status = job.get_status(refresh=False)
    return EventRow(
        job_id=job_id,
        received_at=received,
        route=route or job.meta.get("route"),
        repo=repo.get("name") if isinstance(repo, dict) else None,
        scope=event.get("scope") if isinstance(event, dict) else None,
        action=event.get("action") if isinstance(event, dict) else None,
        status=status.value if status is not None else EXPIRED,
        attempts=int(job.meta.get("attempt", 0)),
        duration_seconds=duration,
    )


def _arguments(job: Job) -> tuple[str | None, str | None, str, dict[str, Any]]:
    """A hubhooks job's ``(app, route, body, meta)``; blanks for a job that is not one of ours."""
    try:
        args = job.args
    except (DeserializationError, ValueError):
        return None, None, "", {}
    if len(args) == 4 and isinstance(args[2], str) and isinstance(args[3], dict):
        return args[0], args[1], args[2], args[3]
    return None, None, "", {}


def _outcomes(job: Job) -> list[Outcome]:
    outcomes = []
    for run in reversed(job.results()):  # RQ lists results newest first
        started, ended = run.execution_started_at, run.execution_ended_at
        duration = (ended - started).total_seconds() if started and ended else None
        outcomes.append(
            Outcome(
                outcome=_outcome_name(run.type),
                at=started or run.created_at,
                duration_seconds=duration,
                worker=run.worker_name or "",
                error=_last_line(run.exc_string),
            )
        )
    return outcomes


def _outcome_name(kind: Result.Type) -> str:
    return {
        Result.Type.SUCCESSFUL: "finished",
        Result.Type.FAILED: "failed",
        Result.Type.STOPPED: "stopped",
        Result.Type.RETRIED: "failed, retried",
        Result.Type.MAX_RETRIES_EXCEEDED: "failed, no retries left",
    }.get(kind, kind.name.lower())


def _last_line(text: str | None) -> str | None:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else None


def _json(body: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2)
    except ValueError:
        return body


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
