"""What one dashboard reads and steers: an app's queue and handlers, and who may look."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from redis import Redis

from service.dashboard.auth import DashboardAuth
from service.dashboard.shared import SharedReads
from service.enqueue import EventQueue
from service.handler import Handler


@dataclass(frozen=True)
class DashboardContext:
    """The front end's queue (reads, requeues, deletes), its handlers (replays) and the auth.

    ``durable`` is false on the embedded default, whose queue lives in this process only.
    ``shared`` holds the reads every session shows alike (counts, plot) for a moment.
    """

    event_queue: EventQueue
    handlers: Mapping[str, Handler]
    auth: DashboardAuth
    durable: bool
    shared: SharedReads = field(default_factory=SharedReads)

    def __repr__(self) -> str:
        return f"DashboardContext(queue={self.queue_name!r}, routes={self.routes!r}, auth={self.auth!r})"

    @property
    def connection(self) -> Redis:
        """The synchronous client RQ's objects use (dashboard callbacks run in worker threads)."""
        return self.event_queue.queue.connection

    @property
    def queue_name(self) -> str:
        """The RQ queue the front end writes to."""
        return self.event_queue.queue.name

    @property
    def routes(self) -> list[str]:
        """The app's routes, in registration order."""
        return list(self.handlers)
