"""A script that launches without blocking, sends itself an event, and prints what its handler saw."""

import os
import pathlib
import time

import httpx

from service import WebhookPayload, WebhooksServer

app = WebhooksServer()
seen: list[str] = []


@app.add_webhook
def remember(payload: WebhookPayload) -> None:
    seen.append(payload.repo.name)


port = int(os.environ["GRADIO_SERVER_PORT"])
app.launch(prevent_thread_lock=True)
body = pathlib.Path(os.environ["PAYLOAD_FILE"]).read_text()
status = httpx.post(f"http://127.0.0.1:{port}/webhooks/remember", content=body).status_code
# One string per print: the in-process worker's thread logs to the same stream meanwhile.
print(f"ANSWER {status}", flush=True)
deadline = time.monotonic() + 20
while not seen and time.monotonic() < deadline:
    time.sleep(0.05)
print(f"SEEN {seen}", flush=True)
