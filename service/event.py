"""What a handler may learn about the delivery besides the payload."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class EventMeta(BaseModel):
    """The delivery of one event, given to a handler that declares a second parameter.

    ``attempt`` counts runs of this event's job, starting at 1; a handler can use it with
    ``event_id`` to make a retried run safe.
    """

    model_config = ConfigDict(frozen=True)

    event_id: str
    job_id: str
    route: str
    received_at: datetime
    attempt: int = 1
