"""Per-endpoint delivery policy: its queue, retries with backoff, time limit, deduplication, retention.

Defaults suit "an event starts a job": a few retries spread over minutes, an hour per run,
identical deliveries within five minutes run once, results kept a week and failures a month (so
the dashboard can show them and a replay can reuse the body).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from service.lanes import Lane, lane_from_keywords

DAY = 24 * 3600


@dataclass(frozen=True)
class DeliveryPolicy:
    """How the jobs of one endpoint are run and kept.

    - ``retries``: further runs after a failure (0: none). Delays grow exponentially from
      ``backoff`` seconds, capped at ``backoff_cap``, each with random jitter (50-100 % of the
      step) so that a burst of failures does not retry in lockstep. RQ's scheduler runs them.
    - ``timeout``: a run's time limit in seconds (``None``: ``HUBHOOKS_JOB_TIMEOUT``).
    - ``dedup_window``: seconds during which an identical body to the same route runs once
      (0: off). The Hub sends no delivery id, and its retries and replays resend the same body.
    - ``keep_results`` / ``keep_failed``: how long finished and failed jobs stay in Redis.
    - ``queue``: the RQ queue the endpoint's jobs go to (``None``: the app's default,
      ``HUBHOOKS_QUEUE``), so that ``hubhooks worker APP --queue gpu`` on a GPU machine runs
      only them.
    - ``lane``: coalescing or one-at-a-time runs per payload key (:mod:`service.lanes`), from
      ``add_webhook``'s ``coalesce=``, ``quiet_period=``, ``max_delay=`` and ``serial=``.
    """

    retries: int = 3
    backoff: float = 10.0
    backoff_cap: float = 600.0
    timeout: int | None = None
    dedup_window: int = 300
    keep_results: int = 7 * DAY
    keep_failed: int = 30 * DAY
    queue: str | None = None
    lane: Lane | None = None

    @classmethod
    def from_keywords(cls, **options: Any) -> DeliveryPolicy:
        """The policy of ``add_webhook``'s keyword arguments; unknown names are a ``TypeError``."""
        lane_options = {
            name: options.pop(name)
            for name in ("coalesce", "serial", "quiet_period", "max_delay")
            if name in options
        }
        return cls(**options, lane=lane_from_keywords(**lane_options))

    def __post_init__(self) -> None:
        for name in ("retries", "dedup_window", "keep_results", "keep_failed"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number of 0 or more; got {value!r}.")
        if not self.backoff > 0 or self.backoff_cap < self.backoff:
            raise ValueError(
                "backoff must be positive and at most backoff_cap; "
                f"got {self.backoff!r} and {self.backoff_cap!r}."
            )
        if self.timeout is not None and (not isinstance(self.timeout, int) or self.timeout <= 0):
            raise ValueError(f"timeout must be a positive number of seconds or None; got {self.timeout!r}.")
        if self.queue is not None and (
            not isinstance(self.queue, str) or not self.queue or any(c.isspace() for c in self.queue)
        ):
            raise ValueError(f"queue must be a queue name without spaces, or None; got {self.queue!r}.")

    def queue_name(self, default: str) -> str:
        """The queue this endpoint's jobs go to, given the app's default queue."""
        return self.queue or default

    def retry_delays(self, rng: random.Random | None = None) -> list[int]:
        """The delay before each retry, in whole seconds, jittered."""
        draw = (rng or random).uniform
        delays = []
        for attempt in range(self.retries):
            step = min(self.backoff_cap, self.backoff * 2**attempt)
            delays.append(max(1, round(step * draw(0.5, 1.0))))
        return delays
