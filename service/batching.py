"""Sending the front end's Lua calls to Redis in batches: one round trip for concurrent events.

Each event needs one script call. Under load, many requests reach that call in the same turn of
the event loop; instead of one round trip (and one pooled connection) each, the calls gathered
during a turn go out as one pipeline at the end of it. A lone request waits for nothing: its
batch of one leaves on the next turn. The pattern is Redis' own advice for throughput
(https://redis.io/docs/latest/develop/use/pipelining/) applied across requests.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import NoScriptError

logger = logging.getLogger(__name__)

_Call = tuple[list[str], list[Any], "asyncio.Future[Any]"]


class ScriptBatcher:
    """Runs one Lua script for many callers, pipelining the calls made in the same loop turn."""

    def __init__(self, client: AsyncRedis, script: str) -> None:
        self.client = client
        self.script = script
        self._sha: str | None = None
        self._pending: list[_Call] = []
        self._flush_scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"ScriptBatcher(pending={len(self._pending)}, in_flight={len(self._in_flight)})"

    async def call(self, keys: list[str], args: list[Any]) -> Any:
        """The script's result for ``keys`` and ``args``; raises what Redis raised for this call."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((keys, args, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self._pending, self._flush_scheduled = self._pending, [], False
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _send(self, batch: list[_Call]) -> None:
        try:
            results = await self._execute(batch)
        except Exception as error:  # the whole batch failed: every caller gets the error
            for _keys, _args, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_keys, _args, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _execute(self, batch: list[_Call]) -> list[Any]:
        if self._sha is None:
            self._sha = await self.client.script_load(self.script)
        for attempt in (1, 2):
            async with self.client.pipeline(transaction=False) as pipe:
                for keys, args, _future in batch:
                    pipe.evalsha(self._sha, len(keys), *keys, *args)
                results = await pipe.execute(raise_on_error=False)
            if attempt == 1 and any(isinstance(result, NoScriptError) for result in results):
                # Redis restarted and lost its script cache: load the script again, resend once.
                logger.info("Batch: script cache empty on Redis; loading it again")
                self._sha = await self.client.script_load(self.script)
                continue
            return list(results)
        return list(results)
