"""A test app whose handler fails, for the job function's error path."""

from service import EventMeta, WebhookPayload, WebhooksServer

app = WebhooksServer()


@app.add_webhook("explode", retries=0)
def explode(payload: WebhookPayload, meta: EventMeta) -> None:
    raise RuntimeError(f"cannot train on {payload.repo.name} (attempt {meta.attempt})")


@app.add_webhook("loop_identity", dedup_window=0)
async def loop_identity(payload: WebhookPayload) -> int:
    import asyncio

    return id(asyncio.get_running_loop())
