"""How far a running handler has got: a fraction and a message, kept on its RQ job's meta.

A handler calls ``meta.progress(0.4, "epoch 4/10")`` (:meth:`service.event.EventMeta.progress`).
On a worker, :func:`attach` gave its :class:`~service.event.EventMeta` a :class:`JobProgress`,
which writes ``{"fraction", "message", "attempt", "at"}`` under ``progress`` in the job's meta:
one HSET, the way RQ's own ``Job.save_meta`` writes it. A Redis hiccup is logged and the
handler goes on, after a second at most: progress is a display, never a reason to fail or stall
a training run. Outside a worker
(a handler called by a unit test) nothing is written. Redis and RQ are imported only where a
record is written or read: ``import service`` stays light for a user's app.

The record names its attempt, so a retried job does not show the last run's 90 % while it
starts again: :func:`current_progress` ignores a record from another attempt.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from redis import Redis
    from rq.job import Job

    from service.event import EventMeta

logger = logging.getLogger(__name__)

META_KEY = "progress"
MESSAGE_LIMIT = 200
WRITE_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class Progress:
    """The last progress a run reported: ``fraction`` in 0..1, an optional message, when."""

    fraction: float
    message: str | None
    attempt: int
    at: float

    @property
    def percent(self) -> str:
        """``"45%"``, rounded down so that an unfinished run never reads 100 %."""
        return f"{math.floor(self.fraction * 100)}%"


def checked(fraction: float, message: str | None) -> tuple[float, str | None] | None:
    """The fraction as a float in 0..1 and the message trimmed to :data:`MESSAGE_LIMIT` characters.

    A value that is not a number or a message that is not a string raises :class:`TypeError`
    naming it (the same in a unit test as on a worker, so the first call shows the mistake). A
    number outside 0..1 is clamped and logged, and NaN is logged and skipped (``None``): a
    progress display must not fail hours of training over a rounding slip.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        raise TypeError(f"progress fraction must be a number from 0 to 1 (0.5 for half); got {fraction!r}.")
    if message is not None and not isinstance(message, str):
        raise TypeError(f"progress message must be a string or None; got {message!r}.")
    if math.isnan(fraction):
        logger.warning("Progress: ignored a fraction of NaN")
        return None
    if not 0 <= fraction <= 1:
        logger.warning("Progress: fraction %r is outside 0..1; shown as %d", fraction, fraction > 1)
        fraction = min(1.0, max(0.0, fraction))
    if message is not None and len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 1] + "\N{HORIZONTAL ELLIPSIS}"
    return float(fraction), message


class JobProgress:
    """Writes a handler's progress to the meta of the job it runs in (one HSET a call).

    Writes go through a client of the same Redis that waits :data:`WRITE_TIMEOUT_SECONDS` at
    most and never retries: a worker's own client has no timeout (RQ's blocking pops need
    none) and redis-py retries with backoff, so a Redis that hangs or refuses would stall the
    training loop that reports. A lost progress record costs nothing.
    """

    def __init__(self, job: Job, attempt: int) -> None:
        self.job = job
        self.attempt = attempt

    def __repr__(self) -> str:
        return f"JobProgress(job={self.job.id!r}, attempt={self.attempt})"

    def __call__(self, fraction: float, message: str | None) -> None:
        from redis.exceptions import RedisError

        record = {"fraction": fraction, "message": message, "attempt": self.attempt, "at": time.time()}
        self.job.meta[META_KEY] = record
        try:
            client = _bounded_client(self.job.connection)
            client.hset(self.job.key, "meta", self.job.serializer.dumps(self.job.meta))
        except (RedisError, OSError) as error:
            logger.warning("Progress: job %s: could not save %.0f%%: %s", self.job.id, fraction * 100, error)


_bounded: dict[int, tuple[Any, Redis]] = {}
_bounded_lock = threading.Lock()


def _bounded_client(connection: Redis) -> Redis:
    """A client sharing ``connection``'s settings (TLS, password, or the embedded server) with a
    short timeout and no retries; one per connection pool, kept for the process."""
    from redis import ConnectionPool
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    pool = connection.connection_pool
    with _bounded_lock:
        kept = _bounded.get(id(pool))
        if kept is not None and kept[0] is pool:
            return kept[1]
        options = {
            **pool.connection_kwargs,
            "socket_timeout": WRITE_TIMEOUT_SECONDS,
            "socket_connect_timeout": WRITE_TIMEOUT_SECONDS,
            "retry": Retry(NoBackoff(), 0),
        }
        client = type(connection)(
            connection_pool=ConnectionPool(connection_class=pool.connection_class, **options)
        )
        _bounded[id(pool)] = (pool, client)
        return client


def attach(event: EventMeta, job: Job | None) -> EventMeta:
    """Let ``event.progress()`` write to ``job`` (no job: outside a worker, it writes nothing)."""
    if job is not None:
        event._progress = JobProgress(job, event.attempt)
    return event


def current_progress(meta: dict[str, Any]) -> Progress | None:
    """The progress in a job's meta, if its run (``meta["attempt"]``) reported any."""
    record = meta.get(META_KEY)
    if not isinstance(record, dict):
        return None
    try:
        progress = Progress(
            fraction=float(record["fraction"]),
            message=record.get("message") if isinstance(record.get("message"), str) else None,
            attempt=int(record["attempt"]),
            at=float(record["at"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return progress if progress.attempt == meta.get("attempt") else None


def progress_of(connection: Redis, job_ids: Sequence[str]) -> dict[str, Progress]:
    """The current progress of each of ``job_ids`` that has one, in one round trip."""
    from rq.job import Job
    from rq.serializers import JSONSerializer

    with connection.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(Job.key_for(job_id), "meta")
        raw = cast("list[bytes | None]", pipe.execute())
    found = {}
    for job_id, meta in zip(job_ids, raw, strict=True):
        try:
            loaded = JSONSerializer.loads(meta) if meta else None
        except ValueError:
            loaded = None
        progress = current_progress(loaded) if isinstance(loaded, dict) else None
        if progress is not None:
            found[job_id] = progress
    return found
