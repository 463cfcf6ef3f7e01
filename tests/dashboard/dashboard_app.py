"""A test app for the dashboard: handlers that succeed, fail once, always fail, deduplicate, run
on a second queue, or report progress and wait to be released."""

from rq import get_current_job

from service import EventMeta, WebhookPayload, WebhooksServer

app = WebhooksServer()

GPU_QUEUE = "gpu"
RELEASE_KEY = "test:release:"  # + job id: what a waiting `trains` run blocks on


@app.add_webhook("ok", dedup_window=0)
def ok(payload: WebhookPayload) -> dict:
    return {"repo": payload.repo.name}


@app.add_webhook("fails_once", retries=0, dedup_window=0)
def fails_once(payload: WebhookPayload, meta: EventMeta) -> str:
    if meta.attempt == 1:
        raise RuntimeError(f"fails_once failed on attempt {meta.attempt} for {payload.repo.name}")
    return f"ok on attempt {meta.attempt}"


@app.add_webhook("always_fails", retries=0, dedup_window=0)
def always_fails(payload: WebhookPayload) -> None:
    raise RuntimeError("always_fails fails")


@app.add_webhook("retried_later", retries=1, backoff=300, dedup_window=0)
def retried_later(payload: WebhookPayload) -> None:
    raise RuntimeError("retried_later fails; its retry is scheduled in minutes")


@app.add_webhook("deduplicated", retries=0, dedup_window=300)
def deduplicated(payload: WebhookPayload) -> str:
    return "ran"


@app.add_webhook("on_gpu", queue=GPU_QUEUE, retries=0, dedup_window=0)
def on_gpu(payload: WebhookPayload) -> str:
    if payload.event.action == "delete":
        raise RuntimeError("on_gpu refuses deletions")
    return f"trained on {payload.repo.name}"


@app.add_webhook("trains", retries=0, dedup_window=0)
def trains(payload: WebhookPayload, meta: EventMeta) -> str:
    """Report a quarter done, then wait (60 s at most) for the test to push to the release key."""
    meta.progress(0.25, f"epoch 1/4 on {payload.repo.name}")
    job = get_current_job()
    if job is not None:
        job.connection.blpop([RELEASE_KEY + meta.job_id], timeout=60)
    meta.progress(1.0, "done")
    return "trained"
