"""The webhook secret check, run as the FastAPI dependency would run it, without a server."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.requests import Request

from service.errors import InvalidSecretError, MissingSecretError
from service.security import secret_check, secret_matches

SECRET = SecretStr("s")


def request(headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> Request:
    """A POST request as an ASGI server hands it over.

    The ASGI spec has servers lowercase header names; ``Headers(...).raw`` does the same, so a
    header written here in any case reaches the check as it would in production.
    """
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/webhooks/on_event",
        "headers": Headers(headers=headers or {}).raw,
        "query_string": urlencode(query or {}).encode(),
    }
    return Request(scope)


def check(expected: SecretStr | None, incoming: Request) -> None:
    asyncio.run(secret_check(expected)(incoming))


def test_secret_matches_the_same_secret():
    assert secret_matches(SecretStr("s3cret"), "s3cret") is True


def test_secret_does_not_match_another_secret():
    assert secret_matches(SecretStr("s3cret"), "s3cret ") is False


def test_secret_does_not_match_a_different_case():
    assert secret_matches(SecretStr("s3cret"), "S3CRET") is False


def test_secret_matches_a_non_ascii_secret():
    assert secret_matches(SecretStr("clé-🔑"), "clé-🔑") is True


def test_missing_secret_raises_missing_secret_error_with_upstream_message():
    with pytest.raises(MissingSecretError) as caught:
        check(SECRET, request())

    assert str(caught.value) == "x-webhook-secret header not set."
    assert caught.value.status_code == 401


def test_wrong_secret_raises_invalid_secret_error_with_upstream_message():
    with pytest.raises(InvalidSecretError) as caught:
        check(SECRET, request({"x-webhook-secret": "wrong"}))

    assert str(caught.value) == "Invalid webhook secret."
    assert caught.value.status_code == 403


def test_wrong_secret_in_the_query_raises_invalid_secret_error():
    with pytest.raises(InvalidSecretError):
        check(SECRET, request(query={"secret": "wrong"}))


@pytest.mark.parametrize("name", ["x-webhook-secret", "X-Webhook-Secret", "X-WEBHOOK-SECRET"])
def test_right_secret_in_the_header_passes_whatever_the_header_case(name):
    check(SECRET, request({name: "s"}))


def test_right_secret_in_the_query_passes():
    check(SECRET, request(query={"secret": "s"}))


def test_no_expected_secret_admits_a_call_without_one():
    check(None, request())


def test_no_expected_secret_admits_a_call_with_any_secret():
    check(None, request({"x-webhook-secret": "anything"}))
