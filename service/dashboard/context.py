"""What one dashboard reads and steers: an app's queues and handlers, and who may look."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from redis import Redis

from service.dashboard.auth import DashboardAuth
from service.dashboard.shared import SharedReads
from service.enqueue import EventQueue, app_queues
from service.handler import Handler


@dataclass(frozen=True)
class DashboardContext:
    """The front end's queues (reads, requeues, deletes), its handlers (replays) and the auth.

    ``durable`` is false on the embedded default, whose queue lives in this process only.
    ``shared`` holds the reads every session shows alike (counts, plot) for a moment.
    """

    event_queue: EventQueue
    handlers: Mapping[str, Handler]
    auth: DashboardAuth
    durable: bool
    shared: SharedReads = field(default_factory=SharedReads)

    def __repr__(self) -> str:
        return (
            f"DashboardContext(queues={self.queue_names!r}, routes={list(self.routes)!r}, auth={self.auth!r})"
        )

    @property
    def connection(self) -> Redis:
        """The synchronous client RQ's objects use (dashboard callbacks run in worker threads)."""
        return self.event_queue.queue.connection

    @property
    def default_queue(self) -> str:
        """The app's default queue (``HUBHOOKS_QUEUE``)."""
        return self.event_queue.queue.name

    @property
    def queue_names(self) -> list[str]:
        """Every queue the app's endpoints write to, the default first."""
        names = app_queues(self.handlers.values(), self.default_queue)
        return names + [name for name in self.event_queue.queues if name not in names]

    @property
    def routes(self) -> dict[str, str]:
        """Each route, in registration order, and the queue its events go to."""
        return {
            route: handler.policy.queue_name(self.default_queue) for route, handler in self.handlers.items()
        }
