"""The Lua script that accepts a batch of events: dedup check, job write and index, per event.

One script holds one writer per endpoint template (:meth:`JobTemplate.lua_writer`), numbered
from 1 in order of first use, and a loop over the events of the call. ARGV is, per event, the
template's number followed by :data:`~service.job_template.EVENT_VALUES`. The script answers
one string per event: ``""`` for a new job, the first job's id for a duplicate, or ``"!"`` and
Redis' error for an event it could not write.

Lanes (:mod:`service.lanes`): a coalesced event's job is written ``scheduled`` for the end of
its quiet period, and replaces the still-scheduled job of its key, which becomes ``canceled``
with ``superseded_by``. A serial event's job is written ``deferred``, depending on the previous
job of its key (RQ enqueues it when that one ends, failed or not), unless that one has ended.

Deduplication: the Hub sends no delivery id, and its retries and replays resend the same body.
A mark keyed by the route and a hash of the body names the first job for ``window`` seconds. The
mark is the event's first write, and if any later write of that event fails (Redis out of
memory, say) the mark is deleted again: a failed enqueue never leaves a mark that would swallow
the Hub's retry. Each event runs under ``pcall``, so one refused event does not fail the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from service.job_template import EVENT_VALUES, JobTemplate, lua_literal

EVENT_WIDTH = 1 + len(EVENT_VALUES)  # the template's number, then the event's values

_ACCEPT = """
local ended = {finished = true, failed = true, canceled = true, stopped = true}

local function coalesce(t, o, id)
  local key = t.lane .. ARGV[o + 9]
  local now = tonumber(ARGV[o + 5])
  local since = now
  local pending = redis.call('HGET', key, 'job')
  if pending and redis.call('ZREM', t.scheduled, pending) == 1 then
    since = tonumber(redis.call('HGET', key, 'since')) or now
    local pending_key = 'rq:job:' .. pending
    redis.call('HSET', pending_key, 'status', 'canceled', 'superseded_by', id, 'ended_at', ARGV[o + 6])
    redis.call('EXPIRE', pending_key, t.keep)
    redis.call('ZADD', t.canceled, math.floor(now) + t.keep, pending)
  end
  t.write(o, 'scheduled')
  redis.call('ZADD', t.scheduled, math.ceil(math.min(now + t.quiet, since + t.max_delay)), id)
  redis.call('HSET', key, 'job', id, 'since', since)
  redis.call('EXPIRE', key, math.ceil(t.max_delay) + 60)
end

local function serial(t, o, id)
  local key = t.lane .. ARGV[o + 9]
  local last = redis.call('GET', key)
  redis.call('SET', key, id, 'EX', t.keep)
  local status = last and redis.call('HGET', 'rq:job:' .. last, 'status')
  if not status or ended[status] then
    t.write(o, 'queued')
    return
  end
  t.write(o, 'deferred')
  local job_key = 'rq:job:' .. id
  redis.call('HSET', job_key, 'dependency_id', last, 'dependency_ids', '["' .. last .. '"]',
    'allow_dependency_failures', '1')
  redis.call('SADD', 'rq:job:' .. last .. ':dependents', id)
  redis.call('SADD', 'rq:job::' .. id .. ':dependencies', last)  -- RQ's Job.dependencies_key
  redis.call('ZADD', t.deferred, math.floor(tonumber(ARGV[o + 5])), id)
end

local function place(t, o)
  local id = ARGV[o + 3]
  if t.kind == 'coalesce' then
    coalesce(t, o, id)
  elseif t.kind == 'serial' then
    serial(t, o, id)
  else
    t.write(o, 'queued')
  end
end

local function accept(template, o)
  local window = tonumber(ARGV[o + 1])
  local mark = nil
  if window > 0 then
    mark = template.mark .. ARGV[o + 2]
    local first = redis.call('GET', mark)
    if first then return first end
    redis.call('SET', mark, ARGV[o + 3], 'EX', window)
  end
  local ok, failure = pcall(place, template, o)
  if not ok then
    if mark then pcall(redis.call, 'DEL', mark) end
    error(failure)
  end
  return ''
end

local function reason(failure)
  if type(failure) == 'table' then return tostring(failure.err or failure[1]) end
  return tostring(failure)
end

local answers = {}
local o = 0
while o < #ARGV do
  local ok, answer = pcall(accept, templates[tonumber(ARGV[o + 1])], o + 1)
  answers[#answers + 1] = ok and answer or ('!' .. reason(answer))
  o = o + %(width)d
end
return answers
"""


@dataclass(frozen=True)
class AcceptScript:
    """The script's source for a list of templates, and its SHA1 (what EVALSHA names)."""

    source: str
    sha: str

    @classmethod
    def for_templates(cls, templates: Sequence[JobTemplate]) -> AcceptScript:
        parts = ["local templates = {}"]
        for number, template in enumerate(templates, start=1):
            parts.append(f"templates[{number}] = {_constants(template)}")
            parts.append(f"templates[{number}].write = {template.lua_writer()}")
        parts.append(_ACCEPT % {"width": EVENT_WIDTH})
        source = "\n".join(parts)
        return cls(source, hashlib.sha1(source.encode()).hexdigest())


def _constants(template: JobTemplate) -> str:
    """The Lua table of what the script needs to know of ``template`` besides its writer."""
    lane = template.handler.policy.lane
    constants = {
        "mark": lua_literal(template.dedup_prefix),
        "kind": lua_literal(lane.kind if lane else "plain"),
        "lane": lua_literal(template.lane_prefix),
        "quiet": repr(float(lane.quiet_period if lane else 0)),
        "max_delay": repr(float(lane.max_delay if lane else 0)),
        "keep": str(template.keep_results),
        "scheduled": lua_literal(template.scheduled_key),
        "deferred": lua_literal(template.deferred_key),
        "canceled": lua_literal(template.canceled_key),
    }
    return "{" + ", ".join(f"{name} = {value}" for name, value in constants.items()) + "}"


def read_answer(answer: bytes | str) -> tuple[str | None, str | None]:
    """``(duplicate_of, error)`` from one event's answer; both ``None`` for a new job."""
    text = answer.decode() if isinstance(answer, bytes) else answer
    if not text:
        return None, None
    if text.startswith("!"):
        return None, text[1:]
    return text, None
