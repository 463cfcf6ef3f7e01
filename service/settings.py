"""Runtime settings, read from the environment at the entry points.

Names follow what users already set: ``REDIS_URL``, ``WEBHOOK_SECRET`` and Gradio's
``GRADIO_SERVER_NAME``/``GRADIO_SERVER_PORT``; everything of our own is ``HUBHOOKS_*``. Explicit
arguments (``WebhooksServer(webhook_secret=...)``, CLI flags) override the environment.
"""

from __future__ import annotations

import os

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ONE_MIB = 1024 * 1024


def running_on_space() -> bool:
    """Whether this process runs on a Hugging Face Space (read now, not at import time)."""
    return bool(os.environ.get("SPACE_ID"))


class Settings(BaseSettings):
    """Everything hubhooks reads from the environment; secrets stay out of reprs."""

    model_config = SettingsConfigDict(
        env_prefix="HUBHOOKS_", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "HUBHOOKS_REDIS_URL")
    )
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("WEBHOOK_SECRET", "HUBHOOKS_WEBHOOK_SECRET")
    )
    server_name: str | None = Field(
        default=None, validation_alias=AliasChoices("GRADIO_SERVER_NAME", "HUBHOOKS_HOST")
    )
    server_port: int = Field(
        default=7860, validation_alias=AliasChoices("GRADIO_SERVER_PORT", "HUBHOOKS_PORT")
    )
    queue: str = "hubhooks"
    max_body_bytes: int = Field(default=ONE_MIB, gt=0)
    workers: int = Field(default=0, ge=0)
    retry_after_seconds: int = Field(default=5, gt=0)
    job_timeout: int = Field(default=3600, gt=0)
    redis_timeout_seconds: float = Field(default=2.0, gt=0)
    # How long start-up waits for an unreachable Redis (None: the front end 60 s, a worker until it
    # answers); see service/redis_check.py.
    redis_wait_seconds: float | None = Field(default=None, ge=0)
    dashboard_password: SecretStr | None = None
    dashboard_open: bool = False

    @property
    def host(self) -> str:
        """The address to bind: Gradio's default, 0.0.0.0 on a Space and 127.0.0.1 elsewhere."""
        if self.server_name:
            return self.server_name
        return "0.0.0.0" if running_on_space() else "127.0.0.1"

    @property
    def embedded(self) -> bool:
        """No ``REDIS_URL``: an in-memory Redis and an in-process worker (nothing is durable)."""
        return not self.redis_url
