"""What a handler may learn about the delivery besides the payload, and how it reports progress."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, PrivateAttr

from service.progress import checked


class EventMeta(BaseModel):
    """The delivery of one event, given to a handler that declares a second parameter.

    ``attempt`` counts runs of this event's job, starting at 1; a handler can use it with
    ``event_id`` to make a retried run safe. :meth:`progress` reports how far a long run has
    got, for the dashboard and ``hubhooks info``.

    Only the fields travel in the job (as JSON); the progress reporter is a private attribute
    the worker sets (:func:`service.progress.attach`), so it is never serialized.
    """

    model_config = ConfigDict(frozen=True)

    event_id: str
    job_id: str
    route: str
    received_at: datetime
    attempt: int = 1

    _progress: Callable[[float, str | None], None] | None = PrivateAttr(default=None)

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Report that the run is ``fraction`` (0 to 1) done, with an optional short message.

        On a worker this stores both on the running job (one Redis write; a Redis error is
        logged, never raised). Outside a worker it only checks the arguments. A fraction outside
        0..1 is clamped; a value that is not a number raises :class:`TypeError`.
        """
        values = checked(fraction, message)
        if values is not None and self._progress is not None:
            self._progress(*values)
