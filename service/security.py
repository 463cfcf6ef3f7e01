"""The webhook secret check, run before the body is read.

The Hub sends the secret verbatim in ``X-Webhook-Secret`` (its documentation also allows
``?secret=`` in the URL). It is compared in constant time, and before the body is parsed, so an
unauthenticated caller learns nothing about what a valid payload looks like. The check reads the
ASGI request's raw headers and query string: it runs on the hot path, before any request object
exists (see :mod:`service.frontend`).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import parse_qs

from pydantic import SecretStr

from service.errors import InvalidSecretError, MissingSecretError

SECRET_HEADER = "x-webhook-secret"
_SECRET_HEADER_KEY = SECRET_HEADER.encode()  # ASGI servers hand header names over lowercase


def secret_matches(expected: SecretStr, given: bytes | str) -> bool:
    """Constant-time comparison of two secrets (a header's raw bytes, or text, UTF-8)."""
    raw = given.encode() if isinstance(given, str) else given
    return hmac.compare_digest(expected.get_secret_value().encode(), raw)


def check_secret(expected: SecretStr | None, headers: Mapping[bytes, bytes], query_string: bytes) -> None:
    """Admit a call only with the right secret (or when none is set); raise 401/403 otherwise.

    ``headers`` maps lowercase header names to values, as ASGI servers hand them over.
    """
    if expected is None:
        return
    given: bytes | str | None = headers.get(_SECRET_HEADER_KEY)
    if given is None and query_string:
        given = next(iter(parse_qs(query_string.decode("latin-1")).get("secret", [])), None)
    if given is None:
        raise MissingSecretError("x-webhook-secret header not set.")
    if not secret_matches(expected, given):
        raise InvalidSecretError("Invalid webhook secret.")
