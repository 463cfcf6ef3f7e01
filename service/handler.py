"""A registered handler: the function, its route, and how a worker calls it.

A handler runs in a worker after the HTTP request has been answered, so it can only receive what
the queue carries: the payload (validated into the model it declares) and, optionally, an
:class:`~service.event.EventMeta`. Anything tied to the request (FastAPI's ``Request``,
``BackgroundTasks``, a ``Response``) is refused at registration, with the reason.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from service.errors import HandlerSignatureError
from service.event import EventMeta
from service.filters import EventFilter
from service.payload import WebhookPayload
from service.policy import DeliveryPolicy

ROUTE_PREFIX = "/webhooks/"

_REQUEST_BOUND_TYPES = ("Request", "BackgroundTasks", "Response", "WebSocket", "HTTPConnection")


def route_for(function: Callable[..., Any], path: str | None) -> str:
    """The route of a handler: ``/webhooks/`` + the path (or the function's name), slashes stripped."""
    name = (path if path is not None else function.__name__).strip("/")
    if not name:
        raise ValueError(f"A webhook path needs a name; got {path!r}.")
    return ROUTE_PREFIX + name


@dataclass(frozen=True)
class Handler:
    """A user function bound to one route, with the shape of its parameters resolved."""

    route: str
    function: Callable[..., Any]
    payload_model: type[BaseModel] | None
    wants_meta: bool
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    event_filter: EventFilter | None = None

    @classmethod
    def from_function(
        cls,
        route: str,
        function: Callable[..., Any],
        policy: DeliveryPolicy | None = None,
        event_filter: EventFilter | None = None,
    ) -> Handler:
        """Inspect ``function`` once; raise :class:`HandlerSignatureError` if a worker can't call it
        (or :class:`ValueError` if ``event_filter`` reads fields its payload model lacks)."""
        payload_model, wants_meta = _resolve_parameters(function)
        if event_filter is not None:
            name = getattr(function, "__qualname__", route)
            event_filter.check_model(payload_model or WebhookPayload, name)
        return cls(route, function, payload_model, wants_meta, policy or DeliveryPolicy(), event_filter)

    @property
    def is_async(self) -> bool:
        """Whether the function must be awaited."""
        return inspect.iscoroutinefunction(self.function)

    @property
    def name(self) -> str:
        """The function's qualified name, for logs and job descriptions."""
        return getattr(self.function, "__qualname__", repr(self.function))

    def arguments(self, payload: BaseModel | None, meta: EventMeta) -> list[Any]:
        """The positional arguments of one call."""
        args: list[Any] = []
        if self.payload_model is not None:
            args.append(payload)
        if self.wants_meta:
            args.append(meta)
        return args


def _annotation(function: Callable[..., Any], parameter: inspect.Parameter) -> Any:
    """A parameter's annotation, resolved on its own (one unresolvable hint elsewhere, such as a
    return type imported under ``TYPE_CHECKING``, must not hide the payload's type)."""
    annotation = parameter.annotation
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, getattr(function, "__globals__", {}))  # the same lookup typing does
    except Exception:
        raise _signature_error(
            function,
            parameter,
            f"has the annotation {annotation!r}, which cannot be resolved; define that model at "
            "module level, before the handler",
        ) from None


def _resolve_parameters(function: Callable[..., Any]) -> tuple[type[BaseModel] | None, bool]:
    parameters = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    payload_model: type[BaseModel] | None = None
    wants_meta = False
    for position, parameter in enumerate(parameters):
        annotation = _annotation(function, parameter)
        kind = _classify(function, parameter, annotation, position)
        if kind == "meta" and not wants_meta:
            wants_meta = True
        elif kind == "payload" and payload_model is None and not wants_meta:
            payload_model = WebhookPayload if annotation is inspect.Parameter.empty else annotation
        else:
            raise _signature_error(function, parameter, "is one parameter too many")
    return payload_model, wants_meta


def _classify(
    function: Callable[..., Any], parameter: inspect.Parameter, annotation: Any, position: int
) -> str:
    if annotation is EventMeta:
        return "meta"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "payload"
    type_name = getattr(annotation, "__name__", "")
    if type_name in _REQUEST_BOUND_TYPES:
        raise _signature_error(
            function,
            parameter,
            f"asks for a {type_name}, which exists only while the HTTP request is open; "
            "hubhooks answers the Hub at once and runs the handler later in a worker",
        )
    if annotation is inspect.Parameter.empty:
        return "payload" if position == 0 else "meta"
    raise _signature_error(function, parameter, f"is annotated {annotation!r}")


def _signature_error(
    function: Callable[..., Any], parameter: inspect.Parameter, reason: str
) -> HandlerSignatureError:
    name = getattr(function, "__qualname__", repr(function))
    return HandlerSignatureError(
        f"Handler {name!r}: parameter {parameter.name!r} {reason}. A handler takes the payload "
        "(`payload: WebhookPayload`, a subclass, or any pydantic model) and optionally the event's "
        "metadata (`meta: EventMeta`: event id, route, received time, attempt). Read what you need "
        "from the payload, or subclass WebhookPayload to declare more fields."
    )
