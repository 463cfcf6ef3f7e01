"""``GET /metrics``: Prometheus metrics of the front end, the queues, the workers and the jobs.

Two sources, in one registry of our own (never ``prometheus_client``'s global one):

- what this front end saw, counted as it answers: ``hubhooks_events_total{route, outcome}`` and
  ``hubhooks_ack_seconds{route}`` (time from the request reaching the webhook route to its
  answer). Each webhook route (:class:`service.frontend.WebhookRoute`) adds to its
  :class:`RouteTally`, plain numbers that a collector turns into metrics at scrape time: about a
  microsecond per call, no Redis;
- what Redis holds, read when Prometheus scrapes (:mod:`service.queue_metrics`): queue depths,
  the oldest waiting event's age, live workers, job runs and their durations.

The route is protected like the dashboard's data (:class:`~service.dashboard.DashboardAuth`): the
dashboard password (else the webhook secret) as a bearer token, or as the password of HTTP basic
auth; open only with ``HUBHOOKS_DASHBOARD_OPEN=1``. Wrong credentials are answered one at a
time, after the dashboard's failed-login delay.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from bisect import bisect_left
from collections.abc import Iterable, Iterator

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from service.dashboard.auth import DashboardAuth

# Every way a webhook call ends. The last five are refusals; "error" is an unexpected failure.
OUTCOMES = (
    "accepted",
    "duplicate",
    "ignored",
    "missing_secret",
    "invalid_secret",
    "too_large",
    "invalid_payload",
    "queue_unavailable",
    "error",
)
REFUSAL_OUTCOMES = {
    401: "missing_secret",
    403: "invalid_secret",
    413: "too_large",
    422: "invalid_payload",
    503: "queue_unavailable",
}

# An answer takes about a millisecond when Redis is near; the top buckets show Redis timeouts.
ACK_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class RouteTally:
    """One route's answers: a count per outcome and the ack-time histogram, as plain numbers.

    Written only from the event loop's thread (one writer: no lock, no lost update; a scrape
    from another thread reads each number whole). ``prometheus_client``'s ``Counter`` and
    ``Histogram`` take a lock per update, several microseconds per call on the hot path.
    """

    __slots__ = ("buckets", "outcomes", "seconds")

    def __init__(self) -> None:
        self.outcomes = dict.fromkeys(OUTCOMES, 0)
        self.buckets = [0] * (len(ACK_BUCKETS) + 1)  # per bucket, not cumulative; the last is +Inf
        self.seconds = 0.0

    def add(self, outcome: str, seconds: float) -> None:
        """Count one answer (``outcome`` is one of :data:`OUTCOMES`) that took ``seconds``."""
        self.outcomes[outcome] += 1
        self.buckets[bisect_left(ACK_BUCKETS, seconds)] += 1  # the first edge >= seconds
        self.seconds += seconds


class FrontEndMetrics(Collector):
    """The registry ``/metrics`` shows: this front end's answers (``hubhooks_events_total``,
    ``hubhooks_ack_seconds``), plus ``collectors`` read at scrape time. Each route's series exist
    from the start (at 0), so rates work from the first event."""

    def __init__(self, routes: Iterable[str], collectors: Iterable[Collector] = ()) -> None:
        self.routes = {route: RouteTally() for route in routes}
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(self)
        for collector in collectors:
            self.registry.register(collector)

    def __repr__(self) -> str:
        return f"FrontEndMetrics(routes={list(self.routes)!r})"

    def collect(self) -> Iterator[Metric]:
        events = CounterMetricFamily(
            "hubhooks_events",
            "Webhook calls answered by this front end, by route and outcome.",
            labels=["route", "outcome"],
        )
        ack = HistogramMetricFamily(
            "hubhooks_ack_seconds",
            "Time from a webhook call reaching the app to its answer, by route.",
            labels=["route"],
        )
        for route, tally in self.routes.items():
            for outcome, count in list(tally.outcomes.items()):
                events.add_metric([route, outcome], count)
            per_bucket, total = list(tally.buckets), 0
            cumulative = []
            for edge, count in zip([*map(repr, ACK_BUCKETS), "+Inf"], per_bucket, strict=True):
                total += count
                cumulative.append((edge, total))
            ack.add_metric([route], cumulative, sum_value=tally.seconds)
        yield events
        yield ack

    def exposition(self) -> bytes:
        """The text Prometheus reads (runs the scrape-time collectors: call it off the event loop)."""
        return generate_latest(self.registry)


def metrics_router(metrics: FrontEndMetrics, auth: DashboardAuth) -> APIRouter:
    """``GET /metrics``, behind the dashboard's password."""
    router = APIRouter(tags=["metrics"])
    # Wrong credentials wait their turn, one at a time, as the dashboard's logins do: guessing the
    # password here is no faster than on the login form.
    wrong_guesses = asyncio.Lock()

    @router.get("/metrics", summary="Prometheus metrics (bearer token: the dashboard password)")
    async def serve_metrics(request: Request) -> Response:
        authorization = request.headers.get("authorization")
        refusal = _refusal(auth, authorization)
        if refusal is not None:
            if authorization and refusal.status_code == 401:
                async with wrong_guesses:
                    await asyncio.sleep(auth.failed_login_delay)
            return refusal
        body = await to_thread.run_sync(metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


def _refusal(auth: DashboardAuth, authorization: str | None) -> JSONResponse | None:
    """``None`` when the credentials open the dashboard, else the answer to give."""
    if auth.mode == "open":
        return None
    if auth.mode == "locked":
        return JSONResponse(
            {
                "error": "Metrics are locked: set HUBHOOKS_DASHBOARD_PASSWORD (or WEBHOOK_SECRET) and "
                "send it as a bearer token, or set HUBHOOKS_DASHBOARD_OPEN=1 on a machine only you reach."
            },
            status_code=403,
        )
    if auth.admits(_credential(authorization)):
        return None
    message = "Send the dashboard password as `Authorization: Bearer <password>`."
    if authorization:
        message = "Wrong credentials. " + message
    return JSONResponse(
        {"error": message}, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="hubhooks"'}
    )


def _credential(authorization: str | None) -> str | None:
    """The password in a ``Bearer`` header, or in a ``Basic`` one (any user name)."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None
