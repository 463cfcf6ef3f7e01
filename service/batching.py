"""Sending the front end's events to Redis in batches: one script call for concurrent events.

Each event needs one run of the accept script (:mod:`service.accept_script`). Under load, many
requests reach that point in the same turn of the event loop; instead of one round trip each,
the events gathered during a turn go out as the arguments of one EVALSHA at the end of it, and
each request gets its own answer back. A lone request waits for nothing: its batch of one leaves
on the next turn. One call instead of a pipeline of calls matters: redis-py spends tens of
microseconds of Python on every command it sends and every reply it parses
(https://redis.io/docs/latest/develop/use/pipelining/ on round trips; the cost here is the client's).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import NoScriptError

from service.accept_script import AcceptScript

logger = logging.getLogger(__name__)

# Events per script call at most: Redis runs nothing else while a script runs (~20 us an event).
MAX_BATCH = 256

_Call = tuple[list[Any], "asyncio.Future[Any]"]


class ScriptBatcher:
    """Runs the accept script for many callers: the calls of one loop turn share one EVALSHA.

    ``script`` returns the script to run now: endpoints seen for the first time add their
    writers to it, and a batch always runs the newest script, which knows every older template.
    """

    def __init__(self, client: AsyncRedis, script: Callable[[], AcceptScript]) -> None:
        self.client = client
        self.script = script
        self._pending: list[_Call] = []
        self._flush_scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"ScriptBatcher(pending={len(self._pending)}, in_flight={len(self._in_flight)})"

    async def call(self, values: list[Any]) -> Any:
        """This event's answer from the script; raises what Redis raised for the batch."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((values, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        pending, self._pending, self._flush_scheduled = self._pending, [], False
        loop = asyncio.get_running_loop()
        for start in range(0, len(pending), MAX_BATCH):
            task = loop.create_task(self._send(pending[start : start + MAX_BATCH]))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _send(self, batch: list[_Call]) -> None:
        arguments = [value for values, _future in batch for value in values]
        try:
            answers = await self._run(self.script(), arguments)
        except Exception as error:  # the whole call failed: every caller gets the error
            for _values, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_values, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(answer)

    async def _run(self, script: AcceptScript, arguments: list[Any]) -> list[Any]:
        try:
            return list(await self.client.evalsha(script.sha, 0, *arguments))
        except NoScriptError:
            # First use, or Redis restarted and lost its script cache: load it, send again once.
            logger.info("Batch: loading the accept script %s into Redis", script.sha[:12])
            await self.client.script_load(script.source)
            return list(await self.client.evalsha(script.sha, 0, *arguments))
