"""The webhook secret check, run on raw ASGI headers and query strings, without a server."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from starlette.datastructures import Headers

from service.errors import InvalidSecretError, MissingSecretError
from service.security import check_secret, secret_matches

SECRET = SecretStr("s")


def request(
    headers: dict[str, str] | None = None, query: dict[str, str] | None = None
) -> tuple[dict[bytes, bytes], bytes]:
    """A POST request's headers and query string as an ASGI server hands them over.

    The ASGI spec has servers lowercase header names; ``Headers(...).raw`` does the same, so a
    header written here in any case reaches the check as it would in production.
    """
    return dict(Headers(headers=headers or {}).raw), urlencode(query or {}).encode()


def check(expected: SecretStr | None, incoming: tuple[dict[bytes, bytes], bytes]) -> None:
    check_secret(expected, *incoming)


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


def test_a_non_ascii_secret_sent_as_utf8_header_bytes_passes():
    check(SecretStr("clé"), ({b"x-webhook-secret": "clé".encode()}, b""))
