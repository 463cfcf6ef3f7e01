"""The webhook secret check, run before the body is read.

The Hub sends the secret verbatim in ``X-Webhook-Secret`` (its documentation also allows
``?secret=`` in the URL). It is compared in constant time, and before the body is parsed, so an
unauthenticated caller learns nothing about what a valid payload looks like.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Request
from pydantic import SecretStr

from service.errors import InvalidSecretError, MissingSecretError

SECRET_HEADER = "x-webhook-secret"


def secret_matches(expected: SecretStr, given: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(expected.get_secret_value().encode(), given.encode())


def secret_check(expected: SecretStr | None) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency that admits a call only with the right secret (or when none is set)."""

    async def check(request: Request) -> None:
        if expected is None:
            return
        given = request.headers.get(SECRET_HEADER) or request.query_params.get("secret")
        if given is None:
            raise MissingSecretError("x-webhook-secret header not set.")
        if not secret_matches(expected, given):
            raise InvalidSecretError("Invalid webhook secret.")

    return check
