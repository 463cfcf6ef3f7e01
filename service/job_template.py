"""An RQ job's Redis commands, learned from RQ once per endpoint and compiled into Lua.

RQ builds a job in about 75 us of Python (a ``Job`` object, ``to_dict``, enum and callback
bookkeeping, zlib), most of it the same for every event of an endpoint. So RQ enqueues one
specimen job per endpoint onto a pipeline that is never executed, and its buffered commands
become a Lua function (:meth:`JobTemplate.lua_writer`) in which only the per-event values are
variables: the job id (in keys and values), the timestamps, the serialized call (``data``), the
description, ``meta`` and the jittered retry delays. Per event, Python computes a handful of
strings (:meth:`JobTemplate.event_values`) and Redis runs the commands.

``data`` is stored uncompressed: RQ reads uncompressed data by design (``Job.restore`` falls back
to it), and zlib costs more than the rest of the job. ``tests/service/test_enqueue.py`` compares a
job written this way with one RQ writes itself.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

from rq import Queue, Retry

from service.event import EventMeta
from service.handler import Handler

JOB_FUNCTION = "workers.job.run_event"
# A job field marking that no job will ever depend on this one (an endpoint without a serial
# lane): a hubhooks worker then skips RQ's search for dependents when it ends.
NO_DEPENDENTS_FIELD = "hubhooks_dependents"
_SPECIMEN_ID = "0" * 32
_SPECIMEN = _SPECIMEN_ID.encode()

# The values each event sends, in this order, after its template's number (see service.enqueue).
EVENT_VALUES = (
    "window", "digest", "job_id", "event_id", "score", "stamp", "data", "retry_intervals", "lane",
)  # fmt: skip
_ARG = {name: f"ARGV[o + {position}]" for position, name in enumerate(EVENT_VALUES, start=1)}


def lua_literal(value: bytes | str) -> str:
    """``value`` as a Lua string literal, any byte outside printable ASCII as a ``\\ddd`` escape."""
    raw = value.encode() if isinstance(value, str) else value
    escaped = "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in raw)
    return f'"{escaped}"'


def _text(value: Any) -> bytes:
    """Encode an argument as redis-py does (a ``str`` enum by its value, not its name)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return repr(value).encode() if isinstance(value, float) else str(value).encode()


def rq_timestamp(moment: datetime) -> str:
    """RQ's timestamp format (``rq.utils.utcformat``) for a UTC time, always with microseconds."""
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class JobTemplate:
    """The commands that enqueue one job of ``handler`` on ``queue``, with per-event holes.

    ``dedup_prefix`` + the body's digest is the event's dedup mark; ``events_key`` is the
    queue's index of accepted events, trimmed to the policy's longest retention on each write;
    ``lane_prefix`` + an event's lane key names its lane's state (:mod:`service.lanes`).
    """

    def __init__(
        self,
        queue: Queue,
        app_name: str,
        handler: Handler,
        job_timeout: int,
        dedup_prefix: str,
        events_key: str,
        lane_prefix: str = "",
    ) -> None:
        self.app_name = app_name
        self.handler = handler
        self.queue_name = queue.name
        self.queue_key = queue.key
        self.scheduled_key = queue.scheduled_job_registry.key
        self.deferred_key = queue.deferred_job_registry.key
        self.canceled_key = queue.canceled_job_registry.key
        self.keep_results = handler.policy.keep_results
        self.dedup_prefix = dedup_prefix
        self.lane_prefix = lane_prefix
        self.events_key = events_key
        policy = handler.policy
        self.retention = max(policy.keep_results, policy.keep_failed)
        self._never_depended_on = policy.lane is None or policy.lane.kind != "serial"
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
        self.commands = [[_text(arg) for arg in args] for args, _options in recorder.command_stack]
        recorder.reset()
        # The call's JSON around the body and the per-event ids, as RQ's JSON serializer writes it.
        route = json.dumps(handler.route)
        self._data_head = f'["{JOB_FUNCTION}", null, [{json.dumps(app_name)}, {route}, '
        self._meta_tail = f', "route": {route}, "received_at": "'
        self._steps = [
            min(policy.backoff_cap, policy.backoff * 2**attempt) for attempt in range(policy.retries)
        ]

    def __repr__(self) -> str:
        return f"JobTemplate(route={self.handler.route!r}, queue={self.queue_name!r})"

    def event_values(self, body: str, meta: EventMeta, window: int, digest: str, lane: str) -> list[Any]:
        """The values of :data:`EVENT_VALUES` for one event (only these are computed per event)."""
        stamp = rq_timestamp(meta.received_at)  # also how pydantic writes received_at in JSON
        data = (
            f'{self._data_head}{json.dumps(body)}, {{"event_id": "{meta.event_id}", '
            f'"job_id": "{meta.job_id}"{self._meta_tail}{stamp}", "attempt": 1}}], {{}}]'
        )
        uniform = random.uniform
        delays = ", ".join(str(max(1, round(step * uniform(0.5, 1.0)))) for step in self._steps)
        score = meta.received_at.timestamp()
        return [window, digest, meta.job_id, meta.event_id, score, stamp, data, f"[{delays}]", lane]

    def lua_writer(self) -> str:
        """A Lua function of ``o`` (this event's offset in ARGV) and ``status``, that writes the
        job with that status and indexes it; only a ``"queued"`` job is pushed onto its queue
        (a scheduled or deferred one goes to its registry, written by the caller)."""
        route = self.handler.route
        meta_head = lua_literal('{"event_id": "')
        meta_tail = lua_literal(f'", "route": {json.dumps(route)}}}')
        per_field = {
            b"created_at": _ARG["stamp"],
            b"enqueued_at": _ARG["stamp"],
            b"data": _ARG["data"],
            b"retry_intervals": _ARG["retry_intervals"],
            b"description": f"{lua_literal(f'{route} event ')} .. {_ARG['event_id']}",
            b"meta": f"{meta_head} .. {_ARG['event_id']} .. {meta_tail}",
        }
        lines = ["function(o, status)"]
        for command in self.commands:
            arguments = []
            for position, argument in enumerate(command):
                is_value = command[0] == b"HSET" and position >= 3 and position % 2 == 1
                field = command[position - 1] if is_value else None
                if field == b"status":
                    arguments.append("status")
                elif field in per_field:
                    arguments.append(per_field[field])
                elif _SPECIMEN in argument:
                    before, _, after = argument.partition(_SPECIMEN)
                    parts = [lua_literal(before)] if before else []
                    parts.append(_ARG["job_id"])
                    parts.extend([lua_literal(after)] if after else [])
                    arguments.append(" .. ".join(parts))
                else:
                    arguments.append(lua_literal(argument))
            if command[0] == b"HSET" and b"data" in command and self._never_depended_on:
                arguments.extend([lua_literal(NO_DEPENDENTS_FIELD), lua_literal(b"none")])
            call = f"redis.call({', '.join(arguments)})"
            is_push = command[0] in (b"RPUSH", b"LPUSH") and command[1] == self.queue_key.encode()
            lines.append(f"  if status == 'queued' then {call} end" if is_push else f"  {call}")
        index = lua_literal(self.events_key)
        lines.append(f"  redis.call('ZADD', {index}, {_ARG['score']}, {_ARG['job_id']})")
        lines.append(
            f"  redis.call('ZREMRANGEBYSCORE', {index}, '-inf', tonumber({_ARG['score']}) - {self.retention})"
        )
        lines.append("end")
        return "\n".join(lines)
