"""Progress a handler reports: checked the same everywhere, written to its job's meta on a
worker, harmless outside one, and never fatal when Redis hiccups."""

from __future__ import annotations

import logging
import math
import socket
import threading

import pytest
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer

from service.event import EventMeta
from service.progress import MESSAGE_LIMIT, attach, current_progress, progress_of
from tests.conftest import free_port

FIELDS = {"event_id", "job_id", "route", "received_at", "attempt"}


def meta(**changes: object) -> EventMeta:
    values = {
        "event_id": "e",
        "job_id": "j",
        "route": "/webhooks/train",
        "received_at": "2024-01-01T00:00:00Z",
    }
    return EventMeta.model_validate({**values, **changes})


def job_on(connection: Redis) -> Job:
    created = Job.create("workers.job.run_event", connection=connection, serializer=JSONSerializer)
    created.meta["attempt"] = 1
    return created


def test_outside_a_worker_progress_only_checks_its_arguments():
    event = meta()
    event.progress(0.5, "epoch 2/4")
    event.progress(1)
    with pytest.raises(TypeError, match=r"fraction must be a number from 0 to 1 .* got '50%'"):
        event.progress("50%")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got True"):
        event.progress(True)
    with pytest.raises(TypeError, match="message must be a string or None; got 3"):
        event.progress(0.5, 3)  # type: ignore[arg-type]


def test_a_fraction_outside_0_to_1_is_clamped_and_nan_skipped_with_a_warning(redis_url, caplog):
    connection = Redis.from_url(redis_url)
    job = job_on(connection)
    job.save()
    event = attach(meta(), job)
    with caplog.at_level(logging.WARNING, logger="service.progress"):
        event.progress(45, "meant percent")
        assert job.meta["progress"]["fraction"] == 1.0
        event.progress(-0.1)
        assert job.meta["progress"]["fraction"] == 0.0
        event.progress(math.nan)
        assert job.meta["progress"]["fraction"] == 0.0  # not written
    assert "fraction 45 is outside 0..1" in caplog.text and "NaN" in caplog.text


def test_on_a_worker_progress_is_written_to_the_jobs_meta_in_one_write(redis_url):
    connection = Redis.from_url(redis_url)
    job = job_on(connection)
    job.save()
    event = attach(meta(), job)
    event.progress(0.25, "x" * (MESSAGE_LIMIT + 50))
    stored = Job.fetch(job.id, connection=connection, serializer=JSONSerializer).meta
    progress = current_progress(stored)
    assert progress is not None and (progress.fraction, progress.attempt, progress.percent) == (
        0.25,
        1,
        "25%",
    )
    assert len(progress.message) == MESSAGE_LIMIT and progress.message.endswith("\N{HORIZONTAL ELLIPSIS}")
    assert progress_of(connection, [job.id, "missing"]) == {job.id: progress}


def test_the_reporter_is_never_serialized_with_the_event():
    event = attach(meta(attempt=2), job_on(Redis(port=free_port())))
    assert set(event.model_dump(mode="json")) == FIELDS
    assert EventMeta.model_validate_json(event.model_dump_json()).model_dump() == event.model_dump()


def test_a_redis_hiccup_is_logged_and_the_handler_goes_on(caplog):
    dead = Redis(port=free_port(), socket_connect_timeout=0.5)
    event = attach(meta(), job_on(dead))
    with caplog.at_level(logging.WARNING, logger="service.progress"):
        event.progress(0.5, "still training")
    assert "could not save 50%" in caplog.text


def test_progress_of_another_run_is_not_current():
    record = {"fraction": 0.9, "message": "almost", "attempt": 1, "at": 1.0}
    assert current_progress({"attempt": 2, "progress": record}) is None  # a retry starts from nothing
    assert current_progress({"attempt": 1, "progress": record}) is not None
    assert current_progress({"attempt": 1, "progress": {"fraction": "x"}}) is None
    assert current_progress({"attempt": 1}) is None


def test_percent_never_rounds_an_unfinished_run_up_to_100():
    progress = current_progress({"attempt": 1, "progress": {"fraction": 0.999, "attempt": 1, "at": 0}})
    assert progress is not None and progress.percent == "99%"


def test_a_redis_that_hangs_does_not_stall_the_handler(caplog):
    """A worker's own client has no timeout; progress writes must not wait on it forever."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts connections, never answers
    try:
        event = attach(meta(), job_on(Redis(port=silent.getsockname()[1])))
        with caplog.at_level(logging.WARNING, logger="service.progress"):
            reporter = threading.Thread(target=event.progress, args=(0.5,), daemon=True)
            reporter.start()
            reporter.join(timeout=20)
        assert not reporter.is_alive()
        assert "could not save 50%" in caplog.text
    finally:
        silent.close()
