"""A test app started as a script with `launch(share=True)`, towards a share server that is not
there (SHARE_SERVER), so the tunnel fails the same way with or without internet access."""

import os

from service import WebhookPayload, WebhooksServer

app = WebhooksServer()


@app.add_webhook
def shared(payload: WebhookPayload) -> str:
    return payload.repo.name


app.launch(share=True, share_server_address=os.environ["SHARE_SERVER"])
