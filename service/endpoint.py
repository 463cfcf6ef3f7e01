"""``@webhook_endpoint``: handlers on a shared, lazily created server that starts at exit.

A thin convenience over :class:`~service.server.WebhooksServer`. The first decorated function
creates the shared server and registers an exit hook that launches it when the script ends;
calling ``.launch()`` or ``.run()`` on any decorated function launches it at once instead.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar, overload

from service.loader import starts_suppressed
from service.server import WebhooksServer

F = TypeVar("F", bound=Callable[..., Any])

_default_server: WebhooksServer | None = None
_start_at_exit = True


def default_server_if_created() -> WebhooksServer | None:
    """The shared server of ``@webhook_endpoint``, if any function was decorated."""
    return _default_server


def _default() -> WebhooksServer:
    global _default_server
    if _default_server is None:
        _default_server = WebhooksServer()
        _register_start_at_exit()
    return _default_server


def _register_start_at_exit() -> None:
    """Run :func:`_launch_at_exit` when the script's last line has run.

    ``atexit`` is too late: by then the interpreter refuses new thread pools, which the server
    needs. ``threading``'s exit hooks run earlier, in reverse order of registration, so ours is
    registered after the thread pool's own hook (imported just before) and runs while pools work.
    """
    import concurrent.futures.thread  # noqa: F401  (registers its exit hook before ours)

    register = getattr(threading, "_register_atexit", atexit.register)
    register(_launch_at_exit)


def _launch_at_exit() -> None:
    if _start_at_exit and _default_server is not None and not starts_suppressed():
        try:
            _default_server.launch()
        except SystemExit as stop:
            # Python ignores SystemExit raised in an exit hook (it prints a traceback and exits
            # 0): end the process with the intended code instead, as `hubhooks serve` would.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(stop.code if isinstance(stop.code, int) else 1)


def _launch_now(prevent_thread_lock: bool = False, **launch_kwargs: Any) -> None:
    global _start_at_exit
    _start_at_exit = False
    _default().launch(prevent_thread_lock=prevent_thread_lock, **launch_kwargs)


@overload
def webhook_endpoint(path: F) -> F: ...


@overload
def webhook_endpoint(path: str | None = None, **options: Any) -> Callable[[F], F]: ...


def webhook_endpoint(path: str | F | None = None, **options: Any) -> F | Callable[[F], F]:
    """Register a handler on the shared server, bare or with a path; returns the function.

    Keyword arguments are the endpoint's delivery policy and filters, as for
    ``WebhooksServer.add_webhook``.
    The function gains ``launch()`` and ``run()``, which start the shared server now.
    """
    if callable(path):
        return _decorate(path, None, {})

    def decorator(function: F) -> F:
        return _decorate(function, path, options)

    return decorator


def _decorate(function: F, path: str | None, options: dict[str, Any]) -> F:
    _default().add_webhook(path, **options)(function)
    function.launch = _launch_now  # type: ignore[attr-defined]
    function.run = _launch_now  # type: ignore[attr-defined]
    return function
