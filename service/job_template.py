"""An RQ job's Redis commands, learned from RQ once per endpoint and filled in per event.

RQ builds a job in about 75 us of Python (a ``Job`` object, ``to_dict``, enum and callback
bookkeeping), most of it the same for every event of an endpoint. So RQ enqueues one specimen job
per endpoint onto a pipeline that is never executed; its buffered commands become a template in
which only the per-event values change: the job id and key, the timestamps, the serialized call
(``data``), the description, ``meta`` and the jittered retry delays. The test
``tests/service/test_enqueue.py`` compares a job written this way with one RQ writes itself.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from rq import Queue, Retry
from rq.serializers import JSONSerializer
from rq.utils import utcformat

from service.event import EventMeta
from service.handler import Handler

JOB_FUNCTION = "workers.job.run_event"
_SPECIMEN_ID = "0" * 32
_DYNAMIC_FIELDS = (b"created_at", b"enqueued_at", b"data", b"description", b"meta", b"retry_intervals")


def _text(value: Any) -> bytes:
    """Encode an argument as redis-py does (a ``str`` enum by its value, not its name)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return repr(value).encode() if isinstance(value, float) else str(value).encode()


class JobTemplate:
    """The commands that enqueue one job of ``handler`` on ``queue``, with per-event holes."""

    def __init__(self, queue: Queue, app_name: str, handler: Handler, job_timeout: int) -> None:
        self.app_name = app_name
        self.handler = handler
        self.queue_name = queue.name
        policy = handler.policy
        recorder = queue.connection.pipeline()
        recorder.multi()  # RQ issues no WATCH inside an explicit transaction
        queue.enqueue_call(
            JOB_FUNCTION,
            args=(),
            job_id=_SPECIMEN_ID,
            timeout=policy.timeout or job_timeout,
            result_ttl=policy.keep_results,
            failure_ttl=policy.keep_failed,
            retry=Retry(max=policy.retries, interval=[1] * policy.retries) if policy.retries else None,
            description="",
            meta={"": ""},
            pipeline=recorder,
        )
        self._commands = [[_text(arg) for arg in args] for args, _options in recorder.command_stack]
        recorder.reset()
        specimen = _SPECIMEN_ID.encode()
        # Where the job id goes (keys, list values), and where each per-event hash value goes.
        self._id_holes = [
            (c, a, arg.partition(specimen)[0], arg.partition(specimen)[2])
            for c, command in enumerate(self._commands)
            for a, arg in enumerate(command)
            if specimen in arg
        ]
        self._field_holes = [
            (c, a + 1, command[a])
            for c, command in enumerate(self._commands)
            if command[0] == b"HSET"
            for a in range(2, len(command) - 1, 2)
            if command[a] in _DYNAMIC_FIELDS
        ]

    def __repr__(self) -> str:
        return f"JobTemplate(route={self.handler.route!r}, queue={self.queue_name!r})"

    def commands(self, body: str, meta: EventMeta) -> list[list[bytes]]:
        """The commands enqueueing this event's job (only the holes are computed per event)."""
        job_id = meta.job_id.encode()
        stamp = utcformat(meta.received_at).encode()
        arguments = [self.app_name, self.handler.route, body, meta.model_dump(mode="json")]
        values = {
            b"created_at": stamp,
            b"enqueued_at": stamp,
            # Level 1: RQ only decompresses, and level 6 costs more than the rest of the job.
            b"data": zlib.compress(JSONSerializer.dumps((JOB_FUNCTION, None, arguments, {})), 1),
            b"description": f"{self.handler.route} event {meta.event_id}".encode(),
            b"meta": JSONSerializer.dumps({"event_id": meta.event_id, "route": self.handler.route}),
            b"retry_intervals": json.dumps(self.handler.policy.retry_delays()).encode(),
        }
        filled = [list(command) for command in self._commands]
        for command_index, arg_index, before, after in self._id_holes:
            filled[command_index][arg_index] = before + job_id + after
        for command_index, arg_index, field in self._field_holes:
            filled[command_index][arg_index] = values[field]
        return filled
