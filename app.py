"""The example app: start a training run when a dataset changes, an evaluation when a model does.

Run it with `python app.py` (embedded in-memory queue), or durably with
`REDIS_URL=redis://localhost:6379/0 hubhooks serve app.py` plus `hubhooks worker app.py`.
"""

import logging

from service import WebhookPayload, webhook_endpoint

logger = logging.getLogger("app")


@webhook_endpoint
async def trigger_training(payload: WebhookPayload) -> dict[str, str]:
    """A dataset got new content: this is where a training job would start."""
    if payload.repo.type == "dataset" and payload.event.scope.startswith("repo.content"):
        logger.info("Training on %s at %s", payload.repo.name, payload.repo.headSha)
        return {"started": "training", "dataset": payload.repo.name}
    return {"started": "nothing", "reason": f"{payload.repo.type} {payload.event.scope}"}


@webhook_endpoint
async def trigger_evaluation(payload: WebhookPayload) -> dict[str, str]:
    """A model got new content: this is where an evaluation job would start."""
    if payload.repo.type == "model" and payload.event.scope.startswith("repo.content"):
        logger.info("Evaluating %s at %s", payload.repo.name, payload.repo.headSha)
        return {"started": "evaluation", "model": payload.repo.name}
    return {"started": "nothing", "reason": f"{payload.repo.type} {payload.event.scope}"}
