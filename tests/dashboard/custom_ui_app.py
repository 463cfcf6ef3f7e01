"""A test app with its own Gradio UI (``ui=``): it must keep its events next to the dashboard."""

import gradio as gr

from service import WebhookPayload, WebhooksServer

with gr.Blocks(title="My webhooks") as ui:
    gr.Markdown("# My own page")
    said = gr.Textbox(label="Say")
    shouted = gr.Textbox(label="Shouted", elem_id="shouted")
    gr.Button("Shout", elem_id="shout").click(
        lambda text: text.upper() + "!", said, shouted, api_name="shout"
    )

app = WebhooksServer(ui=ui)


@app.add_webhook
def ok(payload: WebhookPayload) -> str:
    return payload.repo.name
