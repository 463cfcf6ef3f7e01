"""The Lua script that accepts a batch of events: dedup check, job write and index, per event.

One script holds one writer per endpoint template (:meth:`JobTemplate.lua_writer`), numbered
from 1 in order of first use, and a loop over the events of the call. ARGV is, per event, the
template's number followed by :data:`~service.job_template.EVENT_VALUES`. The script answers
one string per event: ``""`` for a new job, the first job's id for a duplicate, or ``"!"`` and
Redis' error for an event it could not write.

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
local function accept(template, o)
  local window = tonumber(ARGV[o + 1])
  local mark = nil
  if window > 0 then
    mark = template.mark .. ARGV[o + 2]
    local first = redis.call('GET', mark)
    if first then return first end
    redis.call('SET', mark, ARGV[o + 3], 'EX', window)
  end
  local ok, failure = pcall(template.write, o)
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
            parts.append(f"templates[{number}] = {{mark = {lua_literal(template.dedup_prefix)}}}")
            parts.append(f"templates[{number}].write = {template.lua_writer()}")
        parts.append(_ACCEPT % {"width": EVENT_WIDTH})
        source = "\n".join(parts)
        return cls(source, hashlib.sha1(source.encode()).hexdigest())


def read_answer(answer: bytes | str) -> tuple[str | None, str | None]:
    """``(duplicate_of, error)`` from one event's answer; both ``None`` for a new job."""
    text = answer.decode() if isinstance(answer, bytes) else answer
    if not text:
        return None, None
    if text.startswith("!"):
        return None, text[1:]
    return text, None
