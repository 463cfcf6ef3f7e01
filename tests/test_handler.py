"""Route derivation and the handler signatures a worker can or cannot call."""

# No `from __future__ import annotations` here: the handlers below are defined inside test
# functions, and their annotations must be real objects for the checks to be about the types.

import pytest
from fastapi import BackgroundTasks, Request
from pydantic import BaseModel

from service.errors import HandlerSignatureError
from service.event import EventMeta
from service.handler import Handler, route_for
from service.payload import WebhookPayload

ROUTE = "/webhooks/on_event"


class MyPayload(WebhookPayload):
    """A user's subclass that declares one more field."""

    updatedConfig: dict | None = None


class AnyModel(BaseModel):
    """Any pydantic model, unrelated to WebhookPayload."""

    event: dict


def on_event(payload: WebhookPayload) -> None: ...


# route_for


def test_route_defaults_to_the_function_name_under_webhooks():
    assert route_for(on_event, None) == "/webhooks/on_event"


def test_route_uses_an_explicit_path_under_webhooks():
    assert route_for(on_event, "say_hello") == "/webhooks/say_hello"


def test_route_strips_slashes_at_both_ends_of_the_path():
    assert route_for(on_event, "/say_hello/") == "/webhooks/say_hello"


def test_route_keeps_inner_slashes_of_the_path():
    assert route_for(on_event, "/ci/on_pr/") == "/webhooks/ci/on_pr"


def test_route_for_an_absolute_looking_path_still_lands_under_webhooks():
    assert route_for(on_event, "/webhooks/x").startswith("/webhooks/")


@pytest.mark.parametrize("path", ["", "/", "///"])
def test_route_with_an_empty_path_raises_value_error(path):
    with pytest.raises(ValueError, match="needs a name"):
        route_for(on_event, path)


# Handler.from_function: accepted signatures


def test_handler_with_webhook_payload_param_gets_webhook_payload():
    handler = Handler.from_function(ROUTE, on_event)

    assert handler.payload_model is WebhookPayload
    assert handler.wants_meta is False


def test_handler_keeps_route_and_function():
    handler = Handler.from_function(ROUTE, on_event)

    assert handler.route == ROUTE
    assert handler.function is on_event


def test_handler_with_a_webhook_payload_subclass_gets_the_subclass():
    def handle(payload: MyPayload) -> None: ...

    assert Handler.from_function(ROUTE, handle).payload_model is MyPayload


def test_handler_with_any_pydantic_model_gets_that_model():
    def handle(payload: AnyModel) -> None: ...

    assert Handler.from_function(ROUTE, handle).payload_model is AnyModel


def test_handler_with_an_unannotated_first_param_gets_webhook_payload():
    def handle(payload): ...

    assert Handler.from_function(ROUTE, handle).payload_model is WebhookPayload


def test_handler_with_a_second_event_meta_param_wants_meta():
    def handle(payload: WebhookPayload, meta: EventMeta) -> None: ...

    handler = Handler.from_function(ROUTE, handle)

    assert handler.payload_model is WebhookPayload
    assert handler.wants_meta is True


def test_handler_with_no_params_gets_neither_payload_nor_meta():
    def handle() -> None: ...

    handler = Handler.from_function(ROUTE, handle)

    assert handler.payload_model is None
    assert handler.wants_meta is False


def test_handler_with_no_params_is_called_with_no_arguments():
    def handle() -> None: ...

    meta = EventMeta(event_id="e", job_id="j", route=ROUTE, received_at="2024-01-01T00:00:00Z")

    assert Handler.from_function(ROUTE, handle).arguments(None, meta) == []


def test_handler_with_payload_and_meta_is_called_with_both_in_order():
    def handle(payload: WebhookPayload, meta: EventMeta) -> None: ...

    meta = EventMeta(event_id="e", job_id="j", route=ROUTE, received_at="2024-01-01T00:00:00Z")
    payload = object()

    assert Handler.from_function(ROUTE, handle).arguments(payload, meta) == [payload, meta]


def test_handler_is_async_for_async_def():
    async def handle(payload: WebhookPayload) -> None: ...

    assert Handler.from_function(ROUTE, handle).is_async is True


def test_handler_is_not_async_for_plain_def():
    assert Handler.from_function(ROUTE, on_event).is_async is False


# Handler.from_function: refused signatures


def test_handler_signature_error_is_a_type_error():
    assert issubclass(HandlerSignatureError, TypeError)


def test_handler_with_a_request_param_is_refused_because_it_runs_in_a_worker():
    def handle(payload: WebhookPayload, request: Request) -> None: ...

    with pytest.raises(HandlerSignatureError) as caught:
        Handler.from_function(ROUTE, handle)

    message = str(caught.value)
    assert "'request'" in message
    assert "Request" in message
    assert "worker" in message
    assert "WebhookPayload" in message


def test_handler_with_a_background_tasks_param_is_refused_because_it_runs_in_a_worker():
    def handle(payload: WebhookPayload, tasks: BackgroundTasks) -> None: ...

    with pytest.raises(HandlerSignatureError) as caught:
        Handler.from_function(ROUTE, handle)

    message = str(caught.value)
    assert "BackgroundTasks" in message
    assert "worker" in message
    assert "WebhookPayload" in message


def test_handler_with_a_str_param_is_refused_naming_the_type():
    def handle(payload: str) -> None: ...

    with pytest.raises(HandlerSignatureError) as caught:
        Handler.from_function(ROUTE, handle)

    message = str(caught.value)
    assert "'payload'" in message
    assert "str" in message
    assert "WebhookPayload" in message


def test_handler_with_three_params_is_refused_naming_the_extra_one():
    def handle(payload: WebhookPayload, meta: EventMeta, extra: EventMeta) -> None: ...

    with pytest.raises(HandlerSignatureError) as caught:
        Handler.from_function(ROUTE, handle)

    message = str(caught.value)
    assert "'extra'" in message
    assert "too many" in message
    assert "WebhookPayload" in message


def test_handler_with_three_unannotated_params_is_refused():
    def handle(a, b, c): ...

    with pytest.raises(HandlerSignatureError, match="'c' is one parameter too many"):
        Handler.from_function(ROUTE, handle)


def test_handler_refusal_can_be_caught_as_type_error():
    def handle(request: Request) -> None: ...

    with pytest.raises(TypeError):
        Handler.from_function(ROUTE, handle)


def test_an_unresolvable_return_annotation_does_not_hide_the_payload_type():
    namespace: dict = {}
    exec(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from service import WebhookPayload\n"
        "if TYPE_CHECKING:\n"
        "    from collections import OrderedDict\n"
        "def handler(payload: WebhookPayload) -> OrderedDict: ...\n",
        namespace,
    )
    assert Handler.from_function("/webhooks/h", namespace["handler"]).payload_model is WebhookPayload


def test_an_unresolvable_payload_annotation_is_refused_with_the_reason():
    namespace: dict = {}
    exec("from __future__ import annotations\ndef handler(payload: Later) -> None: ...\n", namespace)
    with pytest.raises(HandlerSignatureError, match="'Later', which cannot be resolved"):
        Handler.from_function("/webhooks/h", namespace["handler"])
