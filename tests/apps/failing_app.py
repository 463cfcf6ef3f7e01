"""A test app whose handler fails, for the job function's error path."""

from service import EventMeta, WebhookPayload, WebhooksServer

app = WebhooksServer()
LOOPS: list[int] = []


@app.add_webhook
def explode(payload: WebhookPayload, meta: EventMeta) -> None:
    raise RuntimeError(f"cannot train on {payload.repo.name} (attempt {meta.attempt})")


@app.add_webhook
async def loop_identity(payload: WebhookPayload) -> int:
    import asyncio

    return id(asyncio.get_running_loop())
