"""``WebhooksServer``: the upstream API, on top of a queue.

Registering a handler (``add_webhook``) happens at import time and touches nothing but this
object, so a worker can import the same app to find its handlers. ``launch()`` builds the front
end (FastAPI routes, then the Gradio UI) and starts it; see :mod:`service.serving`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pydantic import SecretStr

from service.errors import RouteConflictError
from service.handler import Handler, route_for
from service.loader import starts_suppressed
from service.policy import DeliveryPolicy

if TYPE_CHECKING:
    import gradio as gr

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


class WebhooksServer:
    """A set of webhook handlers, served by a queue-backed front end.

    ``ui`` is a Gradio ``Blocks`` shown at ``/`` (a landing page by default). ``webhook_secret``
    falls back to the ``WEBHOOK_SECRET`` environment variable, read when the server starts.
    """

    def __init__(self, ui: gr.Blocks | None = None, webhook_secret: str | None = None) -> None:
        self.ui = ui
        self.webhook_secret = SecretStr(webhook_secret) if webhook_secret else None
        self.handlers: dict[str, Handler] = {}

    def __repr__(self) -> str:
        secret = "set" if self.webhook_secret else "from environment"
        return f"WebhooksServer(routes={list(self.handlers)!r}, webhook_secret={secret})"

    @overload
    def add_webhook(self, path: F) -> F: ...

    @overload
    def add_webhook(self, path: str | None = None, **policy: Any) -> Callable[[F], F]: ...

    def add_webhook(self, path: str | F | None = None, **policy: Any) -> F | Callable[[F], F]:
        """Register a handler, bare (``@app.add_webhook``) or with a path (``@app.add_webhook("x")``).

        The route is ``/webhooks/<path or function name>``. Keyword arguments set the endpoint's
        :class:`~service.policy.DeliveryPolicy` (``retries``, ``backoff``, ``backoff_cap``,
        ``timeout``, ``dedup_window``, ``keep_results``, ``keep_failed``, and ``queue``: the RQ
        queue its jobs go to, for ``hubhooks worker APP --queue NAME``). Returns the function.
        """
        if callable(path):
            return self._register(path, None, DeliveryPolicy())
        delivery = DeliveryPolicy(**policy)

        def decorator(function: F) -> F:
            return self._register(function, path, delivery)

        return decorator

    def _register(self, function: F, path: str | None, policy: DeliveryPolicy) -> F:
        route = route_for(function, path)
        if route in self.handlers:
            raise RouteConflictError(f"Webhook {route!r} is already registered.")
        self.handlers[route] = Handler.from_function(route, function, policy)
        return function

    def launch(self, prevent_thread_lock: bool = False, **launch_kwargs: Any) -> None:
        """Start the front end (and, on the embedded default, an in-process worker).

        Blocks until stopped unless ``prevent_thread_lock``. ``server_name`` and ``server_port``
        are honoured like Gradio's; other Gradio launch arguments are ignored with a warning.
        Does nothing when the process was started by ``hubhooks serve`` or ``hubhooks worker``.
        """
        if starts_suppressed():
            logger.debug("Launch: skipped, the hubhooks CLI runs this app")
            return
        from service.serving import serve_main_script

        serve_main_script(self, prevent_thread_lock=prevent_thread_lock, **launch_kwargs)

    def run(self, prevent_thread_lock: bool = False, **launch_kwargs: Any) -> None:
        """Upstream's name for :meth:`launch` (``huggingface_hub`` 0.14 to 0.22)."""
        self.launch(prevent_thread_lock=prevent_thread_lock, **launch_kwargs)
