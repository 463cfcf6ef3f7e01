"""A test app for the dashboard: handlers that succeed, fail once, always fail, or deduplicate."""

from service import EventMeta, WebhookPayload, WebhooksServer

app = WebhooksServer()


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
