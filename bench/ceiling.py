"""The bare ceiling: a FastAPI route with hubhooks' checks (hmac secret, pydantic payload) that
answers 202 without storing anything. Benchmark only; never part of the product."""

from __future__ import annotations

import hmac
import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from service.payload import WebhookPayload

SECRET = os.environ.get("WEBHOOK_SECRET", "bench-secret").encode()
app = FastAPI()


@app.post("/webhooks/noop")
async def noop(request: Request) -> JSONResponse:
    given = request.headers.get("x-webhook-secret", "").encode()
    if not hmac.compare_digest(SECRET, given):
        return JSONResponse({"error": "Invalid webhook secret."}, status_code=403)
    WebhookPayload.model_validate_json(await request.body())
    return JSONResponse({"status": "accepted"}, status_code=202)
