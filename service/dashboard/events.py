"""The dashboard's events: a page of recent events, newest first, and one event in detail.

Pages are read from the events indices (:func:`service.enqueue.events_key`: job ids scored by
receive time, one index per queue), so a read costs the page, not the backlog. A page starts at
a :class:`Cursor` (an event's score and id; none: the newest) and the next page at the event
after its last row: each index answers with a bounded ZREVRANGEBYSCORE, the answers are merged,
and the page's jobs are read in one pipeline (``Job.fetch_many``). Unlike an offset, a cursor
keeps a page's rows in place while new events arrive, and costs the same on page 4,000 as on
page 1 whatever the number of queues. An id whose job hash is gone is an event whose job expired
(its retention passed) or was deleted: its status is ``expired``. A coalesced event replaced by
a newer one (:mod:`service.lanes`) is a canceled job with ``superseded_by``: its status is
``superseded``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from redis import Redis
from rq.exceptions import DeserializationError
from rq.job import Job, JobStatus
from rq.results import Result
from rq.serializers import JSONSerializer

from service.enqueue import events_key
from service.progress import Progress, current_progress

EXPIRED = "expired"
SUPERSEDED = "superseded"


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
    queue: str | None = None
    progress: Progress | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: an event's receive time (its score) and job id, in index order
    (newest first; equal times by job id, as Redis orders them)."""

    received: float
    job_id: str

    def as_state(self) -> list[object]:
        """A JSON-able form, for a ``gr.State``."""
        return [self.received, self.job_id]

    @classmethod
    def from_state(cls, value: object) -> Cursor | None:
        """The cursor a ``gr.State`` held, ``None`` for anything else (the newest page)."""
        if isinstance(value, list | tuple) and len(value) == 2:
            received, job_id = value
            if isinstance(received, int | float) and isinstance(job_id, str):
                return cls(float(received), job_id)
        return None


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first, with ``newer`` events before its first row."""

    rows: list[EventRow]
    newer: int
    total: int
    next: Cursor | None

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row among all events (0 when empty)."""
        return self.newer + 1 if self.rows else 0


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
    queue: str | None = None
    progress: Progress | None = None
    superseded_by: str | None = None


# KEYS: events indices. ARGV: the cursor's score ("" for the newest page), page size. For each
# index: its size, how many of its events have a higher score than the cursor, the ids sharing
# the cursor's score (Python orders those by id), then score and id of up to size + 1 events from
# the cursor's score down, plus as many as share it.
PAGE_SCRIPT = """
local out = {}
for k = 1, #KEYS do
  local newer, ties, top = 0, {}, '+inf'
  if ARGV[1] ~= '' then
    top = ARGV[1]
    newer = redis.call('ZCOUNT', KEYS[k], '(' .. ARGV[1], '+inf')
    ties = redis.call('ZRANGEBYSCORE', KEYS[k], ARGV[1], ARGV[1])
  end
  local limit = ARGV[2] + 1 + #ties
  local rows = redis.call('ZREVRANGEBYSCORE', KEYS[k], top, '-inf', 'WITHSCORES', 'LIMIT', 0, limit)
  out[#out + 1] = {redis.call('ZCARD', KEYS[k]), newer, ties, rows}
end
return out
"""


def events_page(
    connection: Redis, queue_names: Sequence[str], start: Cursor | None = None, page_size: int = 20
) -> EventPage:
    """The events of ``queue_names`` from ``start`` on (``None``: the newest), newest first."""
    script = connection.register_script(PAGE_SCRIPT)
    args: list[str | int] = [repr(start.received) if start else "", page_size]
    replies = script(keys=[events_key(name) for name in queue_names], args=args)
    total = newer = 0
    candidates: list[tuple[float, str, str]] = []
    for name, (size, above, ties, flat) in zip(queue_names, replies, strict=True):
        total += size
        newer += above + sum(1 for tie in ties if start and tie.decode() > start.job_id)
        for index in range(0, len(flat), 2):
            received, job_id = float(flat[index + 1]), flat[index].decode()
            if start is None or (received, job_id) <= (start.received, start.job_id):
                candidates.append((received, job_id, name))
    candidates.sort(reverse=True)
    shown, after = candidates[:page_size], candidates[page_size : page_size + 1]
    ids = [job_id for _received, job_id, _name in shown]
    found = Job.fetch_many(ids, connection=connection, serializer=JSONSerializer)
    rows = [
        _row(job_id, received, name, job) for (received, job_id, name), job in zip(shown, found, strict=True)
    ]
    replacements = _superseded_by(
        connection, [row.job_id for row in rows if row.status == JobStatus.CANCELED]
    )
    rows = [
        dataclasses.replace(row, status=SUPERSEDED) if row.job_id in replacements else row for row in rows
    ]
    following = Cursor(after[0][0], after[0][1]) if after else None
    return EventPage(rows, newer, total, following)


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
    replaced_by = _superseded_by(connection, [job.id]).get(job.id) if status == JobStatus.CANCELED else None
    return EventDetail(
        job_id=job.id,
        status=SUPERSEDED if replaced_by else status.value if status is not None else EXPIRED,
        superseded_by=replaced_by,
        route=route,
        received_at=_parse_time(meta.get("received_at")) or job.enqueued_at,
        payload=_pretty(body),
        result=result,
        traceback=traceback,
        runs=int(job.meta.get("attempt", 0)),
        outcomes=outcomes,
        queue=job.origin or None,
        progress=current_progress(job.meta) if status == JobStatus.STARTED else None,
    )


def _superseded_by(connection: Redis, job_ids: list[str]) -> dict[str, str]:
    """Which of these canceled jobs a newer coalesced event replaced, and by which job."""
    if not job_ids:
        return {}
    with connection.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(Job.key_for(job_id), "superseded_by")
        found = pipe.execute()
    return {job_id: value.decode() for job_id, value in zip(job_ids, found, strict=True) if value}


def _row(job_id: str, score: float, queue: str, job: Job | None) -> EventRow:
    received = datetime.fromtimestamp(score, timezone.utc)
    if job is None:
        return EventRow(job_id, received, None, None, None, None, EXPIRED, 0, None, queue)
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
        queue=queue,
        progress=current_progress(job.meta) if status == JobStatus.STARTED else None,
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
